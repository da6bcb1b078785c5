"""URLs: the admin for now; the operator's workbench and the API come with their issues."""

from django.contrib import admin
from django.http import HttpRequest
from django.shortcuts import redirect
from django.urls import path

from juchu.web.views import pipeline_status


def home(request: HttpRequest):
    return redirect("admin:index")


urlpatterns = [
    path("", home),
    path("status.json", pipeline_status, name="pipeline-status"),
    path("admin/", admin.site.urls),
]

__all__ = ["urlpatterns"]
