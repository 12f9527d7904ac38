"""A path or method that no route serves gets the platform's answer: the JSON error contract under
/api/v1 (404; 405 with Allow), a Chinese page elsewhere — never Werkzeug's English HTML."""


def test_an_unknown_api_path_is_a_json_404_in_chinese(system):
    answer = system["client"].get("/api/v1/no-such-thing")
    assert answer.status == 404
    assert answer.headers["Content-Type"].startswith("application/json")
    assert answer.json["error"]["code"] == "route_not_found"
    assert "地址" in answer.json["error"]["message"]


def test_a_wrong_method_on_an_api_path_is_a_json_405_naming_the_allowed_ones(system):
    answer = system["client"].request("DELETE", "/api/v1/auth/login")
    assert answer.status == 405
    assert answer.json["error"]["code"] == "method_not_allowed"
    assert "POST" in answer.headers["Allow"]
    assert "DELETE" in answer.json["error"]["message"] and "POST" in answer.json["error"]["message"]


def test_an_unknown_page_is_a_chinese_page(system):
    answer = system["client"].get("/no-such-page")
    assert answer.status == 404
    assert answer.headers["Content-Type"].startswith("text/html")
    assert "没有这个地址" in answer.text and "Not Found" not in answer.text


def test_known_routes_still_answer_as_before(system):
    assert system["client"].get("/api/v1/openapi.json").status == 200
    assert system["client"].get("/api/v1/me").status == 401
