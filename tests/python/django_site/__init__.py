"""A minimal Django project for tests/python/test_django.py (the test client and a real runserver)."""
