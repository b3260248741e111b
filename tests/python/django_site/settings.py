"""Settings of the test project: CSRF protection ON (the webhook views must be exempt by themselves)."""

SECRET_KEY = "django-test-only-not-a-webhook-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
ROOT_URLCONF = "django_site.urls"
INSTALLED_APPS: list = []
DATABASES: dict = {}
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
]
USE_TZ = True
LOGGING_CONFIG = None
