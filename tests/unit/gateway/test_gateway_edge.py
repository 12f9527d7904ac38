"""The gateway's edge refuses hostile path values, queries, JSON bodies and RPC arguments, naming each field."""
import json

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gateway.edge import MAX_JSON_BODY_BYTES, check_outgoing, check_request_line, parse_json_object
from gateway.exceptions import RequestTooLarge
from shared.errors import ValidationFailed


def request(path="/api/v1/orgs", query=None, path_values=None):
    built = Request(EnvironBuilder(path=path, query_string=query).get_environ())
    built.path_values = path_values or {}
    return built


def refusal(action, *args):
    with pytest.raises(ValidationFailed) as raised:
        action(*args)
    assert raised.value.http_status == 422 and "不允许" in raised.value.message
    return raised.value.fields


class TestPathAndQuery:
    @pytest.mark.parametrize(("query", "field", "words"), [
        ("q=%00", "q", "空字符"),
        ("state=%E2%80%AE", "state", "文字方向"),
        ("q=a%0Ab", "q", "只能填写一行"),
        ("date=9999-12-31", "date", "1900 到 2100"),
        ("q=" + "x" * 1001, "q", "不能超过"),
    ])
    def test_a_hostile_query_parameter_is_refused_by_name(self, query, field, words):
        fields = refusal(check_request_line, request(query=query))
        assert words in fields[field][0]

    def test_a_hostile_path_value_is_refused_by_name(self):
        fields = refusal(check_request_line, request("/api/v1/committees/%00", path_values={"committee_id": "\x00"}))
        assert "空字符" in fields["committee_id"][0]

    def test_ordinary_queries_pass(self):
        check_request_line(request(query="q=%E5%BC%A0%E4%B8%89&status=submitted&status=returned&date=2026-12-01"))


class TestJsonBodies:
    def test_a_nul_inside_a_nested_value_is_named_by_its_path(self):
        raw = json.dumps({"entries": [{"school": "云南大学"}, {"school": "昆明\u0000理工"}]}).encode()
        fields = refusal(parse_json_object, raw)
        assert "空字符" in fields["entries"][1]["school"][0]

    def test_a_lone_surrogate_in_a_key_is_refused(self):
        fields = refusal(parse_json_object, b'{"\\ud800": 1}')
        assert "代理项" in fields["\\ud800"][0]

    def test_a_five_thousand_deep_body_is_refused_without_parsing_it(self):
        fields = refusal(parse_json_object, ('{"a":' * 5000 + "1" + "}" * 5000).encode())
        assert "32 层" in fields["body"][0]

    @pytest.mark.parametrize(("raw", "words"), [(b"\xff\xfe{}", "UTF-8"), (b"{not json", "JSON"), (b"[1, 2]", "JSON 对象")])
    def test_bodies_that_are_not_a_json_object_are_refused(self, raw, words):
        with pytest.raises(ValidationFailed) as raised:
            parse_json_object(raw)
        assert words in raised.value.message and raised.value.http_status == 422

    def test_an_oversized_body_is_413(self):
        with pytest.raises(RequestTooLarge) as raised:
            parse_json_object(b" " * (MAX_JSON_BODY_BYTES + 1))
        assert raised.value.http_status == 413

    def test_multi_line_free_text_passes_the_edge(self):
        body = {"work_summary": "第一段\n第二段\t完", "review_year": 2026, "date": "2026-12-01"}
        assert parse_json_object(json.dumps(body).encode()) == body


class TestRpcArguments:
    def test_form_data_on_its_way_to_a_service_is_refused_with_its_own_field_names(self):
        fields = refusal(check_outgoing, ({"account_id": "a"}, "dossier-1", {"specialty": "给排水\u0000工程"}), {})
        assert "空字符" in fields["specialty"][0]

    def test_a_hostile_plain_argument_is_refused_with_the_reason_in_the_message(self):
        with pytest.raises(ValidationFailed) as raised:
            check_outgoing(({"account_id": "a"}, "dossier-1", "个人\u0000原因"), {})
        assert "空字符" in raised.value.message

    def test_ordinary_arguments_pass(self):
        check_outgoing(({"account_id": "a", "role": "applicant"}, ["id-1", "id-2"]), {"reason": "个人原因\n详见附件"})
