from django.shortcuts import redirect, render


def home(request):
    return redirect("inbox:index" if request.user.is_authenticated else "login")


def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    # No context processors that touch the database: the error may be the database.
    from django.template import loader
    from django.http import HttpResponseServerError

    return HttpResponseServerError(loader.get_template("500.html").render())


def csrf_failure(request, reason=""):
    return render(request, "403_csrf.html", status=403)


# Placeholders for the accounts work in progress (issue 2); replaced by the real views.
def signup(request):
    return render(request, "404.html", status=404)


def profile(request, username):
    return render(request, "404.html", status=404)


def settings_profile(request):
    return render(request, "404.html", status=404)


def avatar(request, username):
    return render(request, "404.html", status=404)
