import pytest

pytestmark = pytest.mark.django_db


def test_schema_is_openapi3(api_client):
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "CozonPay API"
    assert "paths" in document


def test_swagger_ui_served(api_client):
    response = api_client.get("/api/docs/")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()


@pytest.mark.parametrize("method", ["options", "post", "put", "delete"])
def test_swagger_ui_answers_other_methods_405(api_client, method):
    response = getattr(api_client, method)("/api/docs/")
    assert response.status_code == 405


def test_admin_login_page(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
