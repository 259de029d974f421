from django.urls import path

from digitalpost.inbox import views

app_name = "inbox"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.demo_login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("post/", views.inbox, name="inbox"),
    path("post/<uuid:message_id>/", views.message, name="message"),
    path("post/<uuid:message_id>/answer/", views.answer, name="answer"),
    path("post/<uuid:message_id>/documents/<int:position>/", views.document, name="document"),
    path("post/threads/", views.threads, name="threads"),
    path("post/threads/<uuid:thread_id>/", views.thread, name="thread"),
    path("post/write/", views.write, name="write"),
    path("post/settings/notifications/", views.notification_settings, name="notification_settings"),
    path("post/write/mailbox/<uuid:mailbox_id>/", views.write_inquiry, name="write_inquiry"),
    path("post/write/<str:authority_cvr>/", views.write_to_authority, name="write_to_authority"),
]
