"""doses screens (see urls.py): recording at a session, the dose page with undo and AEFI, certificates."""

from django.urls import path

from . import views_certificates, views_doses

urlpatterns: list = [
    path("record/", views_doses.record, name="record"),
    path("sessions/<int:pk>/record/", views_doses.session_record, name="session_record"),
    path("sessions/<int:pk>/record/new-person/", views_doses.session_person_new, name="session_person_new"),
    path("sessions/<int:session_pk>/people/<int:person_pk>/", views_doses.dose_new, name="dose_new"),
    path("doses/<int:pk>/", views_doses.dose_detail, name="dose"),
    path("doses/<int:pk>/undo/", views_doses.dose_undo, name="dose_undo"),
    path("doses/<int:pk>/aefi/", views_doses.aefi_new, name="aefi_new"),
    path("people/<int:pk>/certificate/", views_certificates.certificate_issue, name="certificate_issue"),
    path("certificates/<int:pk>/", views_certificates.certificate_detail, name="certificate"),
    path("public-key.pem", views_certificates.public_key, name="public_key"),
]
