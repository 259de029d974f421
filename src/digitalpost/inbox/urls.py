from django.urls import path

from digitalpost.inbox import views

app_name = "inbox"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.demo_login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("post/", views.inbox, name="inbox"),
    path("post/<uuid:message_id>/", views.message, name="message"),
    path("post/<uuid:message_id>/documents/<int:position>/", views.document, name="document"),
]
