from django.urls import path

from opentill.terminal import views

app_name = "terminal"
urlpatterns = [
    path("", views.terminal, name="index"),
    path("sw.js", views.service_worker, name="service-worker"),
]
