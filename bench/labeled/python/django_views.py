import os
import subprocess

from django.db import connection
from django.db.models.expressions import RawSQL
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.safestring import mark_safe

from .models import Article


def search(request):
    term = request.GET.get("q", "")
    with connection.cursor() as cursor:
        # ruleid: sql-injection
        cursor.execute("SELECT id, title FROM articles WHERE title LIKE '%%" + term + "%%'")
        rows = cursor.fetchall()
    return HttpResponse(str(rows))


def search_safe(request):
    term = request.GET.get("q", "")
    with connection.cursor() as cursor:
        # ok: parameterized
        cursor.execute("SELECT id, title FROM articles WHERE title LIKE %s", ["%" + term + "%"])
        rows = cursor.fetchall()
    return HttpResponse(str(rows))


def ordered(request):
    column = request.GET.get("order", "id")
    # ruleid: sql-injection through extra()
    articles = Article.objects.extra(where=["author = '%s'" % column])
    return HttpResponse(str(list(articles)))


def annotated(request):
    field = request.GET.get("f")
    # ruleid: sql-injection through RawSQL
    qs = Article.objects.annotate(v=RawSQL("SELECT " + field + " FROM stats", []))
    return HttpResponse(str(list(qs)))


def raw_list(request):
    author = request.GET["author"]
    # ruleid: sql-injection through raw()
    articles = Article.objects.raw(f"SELECT * FROM app_article WHERE author = '{author}'")
    return HttpResponse(str(list(articles)))


def greet(request):
    name = request.GET.get("name", "")
    # ruleid: xss
    return HttpResponse("<h1>Hello, " + name + "</h1>")


def greet_safe_markup(request):
    name = request.GET.get("name", "")
    # ruleid: xss through mark_safe
    return HttpResponse(mark_safe("<h1>Hello, %s</h1>" % name))


def greet_constant_branch(request):
    name = request.GET.get("name", "")
    num = 86
    if (7 * 42) - num > 200:
        bar = "This should always happen"
    else:
        bar = name
    # ok: the request value is in a branch that never runs
    return HttpResponse("<h1>Hello, " + bar + "</h1>")


def greet_from_map(request):
    name = request.GET.get("name", "")
    values = {}
    values["keyA"] = "a-value"
    values["keyB"] = name
    bar = values["keyA"]
    # ok: the value read is the constant one
    return HttpResponse("<h1>Hello, " + bar + "</h1>")


def backup(request):
    target = request.POST["target"]
    # ruleid: command-injection
    subprocess.run(f"tar czf /backups/{target}.tgz /srv/data", shell=True)
    return HttpResponse("started")


def go_next(request):
    # ruleid: open-redirect
    return HttpResponseRedirect(request.GET.get("next"))


def go_next_named(request):
    # ok: named route
    return redirect("dashboard")


def download(request):
    name = request.GET["file"]
    # ruleid: path-traversal
    data = open("/var/reports/" + name, "rb").read()
    return HttpResponse(data, content_type="application/octet-stream")


def download_safe(request):
    name = os.path.basename(request.GET["file"])
    # ok: base name only
    data = open(os.path.join("/var/reports", name), "rb").read()
    return HttpResponse(data, content_type="application/octet-stream")
