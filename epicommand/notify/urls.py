from django.urls import path

from . import views

app_name = "notify"
urlpatterns = [
    path("", views.outbox, name="list"),
    path("<int:pk>/", views.message_detail, name="detail"),
    path("<int:pk>/retry/", views.message_retry, name="retry"),
]
