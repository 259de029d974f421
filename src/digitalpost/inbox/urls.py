from django.urls import path

from digitalpost.inbox import powers, views

app_name = "inbox"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.demo_login, name="login"),
    path("login/mitid/", views.oidc_start, name="oidc_start"),
    path("login/mitid/callback/", views.oidc_callback, name="oidc_callback"),
    path("logout/", views.logout, name="logout"),
    path("signed-out/", views.signed_out, name="signed_out"),
    path("session-expired/", views.session_expired_page, name="session_expired"),
    path("post/session/", views.keep_alive, name="keep_alive"),
    path("post/company/access/", views.company_access, name="company_access"),
    path("post/company/access/<uuid:access_id>/revoke/", views.company_access_revoke, name="company_access_revoke"),
    path("post/power-of-attorney/", powers.powers_of_attorney, name="powers_of_attorney"),
    path("post/power-of-attorney/<uuid:power_id>/end/", powers.power_of_attorney_end, name="power_of_attorney_end"),
    path("post/mailboxes/switch/", powers.switch_mailbox, name="switch_mailbox"),
    path("post/", views.inbox, name="inbox"),
    path("post/<uuid:message_id>/", views.message, name="message"),
    path("post/<uuid:message_id>/answer/", views.answer, name="answer"),
    path("post/<uuid:message_id>/forward/", views.forward, name="forward"),
    path("post/<uuid:message_id>/actions/<int:index>/calendar.ics", views.action_calendar, name="action_calendar"),
    path("post/needs-action/", views.needs_action, name="needs_action"),
    path("post/my-data/", views.my_data, name="my_data"),
    path("post/my-data/archive.zip", views.my_data_archive, name="my_data_archive"),
    path("post/<uuid:message_id>/documents/<int:position>/", views.document, name="document"),
    path("post/threads/", views.threads, name="threads"),
    path("post/threads/<uuid:thread_id>/", views.thread, name="thread"),
    path("post/write/", views.write, name="write"),
    path("post/settings/notifications/", views.notification_settings, name="notification_settings"),
    path("post/write/mailbox/<uuid:mailbox_id>/", views.write_inquiry, name="write_inquiry"),
    path("post/write/<str:authority_cvr>/", views.write_to_authority, name="write_to_authority"),
]
