"""Basic info's rules (issue 18): 性别 and 出生日期 come from the resident ID number, never from what the
applicant types; contact phone and e-mail are checked; 现聘情况 (post, appointment date, employer type)."""
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
from eventsourcing.persistence import DatetimeAsISO, JSONTranscoder, Mapper, StoredEvent, UUIDAsHex
from eventsourcing.utils import get_topic

from gateway.pages.forms import identity_fields
from services.dossier import domain as d
from services.dossier.hashchain import GENESIS, event_hash, verify_chain
from services.dossier.schemas import BasicInfoSchema, CreateDossierSchema
from services.identity.application.views import gender_and_birth_date
from services.identity.tables import Account
from shared.clock import beijing_today
from shared.errors import ValidationFailed
from shared.idnumbers import FEMALE, MALE, parse_resident_id
from shared.schemas import load_or_raise
from shared.titles import EMPLOYER_TYPES
from tests.factories import Cast, basic_info, resident_id


def refused(data):
    """The field errors BasicInfoSchema answers for *data* (which must be refused)."""
    with pytest.raises(ValidationFailed) as raised:
        load_or_raise(BasicInfoSchema(), data)
    return raised.value.fields


# --- 性别 and 出生日期 from the ID number -------------------------------------------------------------


class TestIdentityDerivesThemFromTheNumber:
    def test_the_account_view_reads_the_number_not_the_stored_columns(self):
        # The case: 1988-05-01 typed for a number born 2001-03-08.
        number = resident_id(birth="20010308", male=False)
        account = Account(id_number=number, gender=MALE, birth_date=date(1988, 5, 1))
        assert gender_and_birth_date(account) == (FEMALE, date(2001, 3, 8))

    @pytest.mark.parametrize("male", [True, False])
    def test_an_odd_seventeenth_digit_is_male_and_an_even_one_female(self, male):
        number = resident_id(male=male)
        assert int(number[16]) % 2 == (1 if male else 0)
        assert gender_and_birth_date(Account(id_number=number))[0] == (MALE if male else FEMALE)

    def test_digits_seven_to_fourteen_are_the_birth_date(self):
        number = resident_id(birth="19791231")
        born = gender_and_birth_date(Account(id_number=number))[1]
        assert born == date(int(number[6:10]), int(number[10:12]), int(number[12:14])) == date(1979, 12, 31)

    def test_an_account_without_a_number_keeps_what_is_stored(self):
        assert gender_and_birth_date(Account(id_number=None, gender=None, birth_date=None)) == (None, None)


class TestTheDossierCarriesThemFromCreation:
    def test_created_records_the_identity_values_and_to_dict_answers_them(self):
        cast = Cast()
        number = resident_id(birth="20010308", male=False)
        parsed = parse_resident_id(number)
        fields = load_or_raise(CreateDossierSchema(), cast.creation_fields(
            applicant_gender=parsed.gender, applicant_birth_date=parsed.birth_date.isoformat()))
        dossier = d.Dossier.create(cast.applicant, **fields)
        answer = dossier.to_dict()
        assert (answer["applicant_gender"], answer["applicant_birth_date"]) == (FEMALE, "2001-03-08")
        # …and the folded events give the same (the values are in the Created event, not computed later).
        (created,) = dossier.collect_events()
        assert (created.applicant_gender, created.applicant_birth_date) == (FEMALE, "2001-03-08")

    @pytest.mark.parametrize("field, value", [("applicant_gender", "男性"), ("applicant_birth_date", "9999-12-31")])
    def test_create_refuses_values_identity_could_not_have_given(self, field, value):
        with pytest.raises(ValidationFailed) as raised:
            load_or_raise(CreateDossierSchema(), Cast().creation_fields(**{field: value}))
        assert field in raised.value.fields

    def test_basic_info_refuses_a_typed_gender_or_birth_date_saying_why(self):
        fields = refused(basic_info(gender="男", birth_date="1988-05-01"))
        assert fields["gender"] == ["性别由身份证号码自动生成,不能填写或修改"]
        assert fields["birth_date"] == ["出生日期由身份证号码自动生成,不能填写或修改"]

    @pytest.mark.parametrize("value", [None, "", 12])
    def test_any_value_at_all_is_refused_not_just_a_wrong_one(self, value):
        assert "由身份证号码自动生成" in refused(basic_info(birth_date=value))["birth_date"][0]

    def test_the_basic_info_saved_holds_neither(self):
        loaded = load_or_raise(BasicInfoSchema(), basic_info())
        assert "gender" not in loaded and "birth_date" not in loaded


def stored_v1_created(originator_id, cast):
    """A Created row as a writer before issue 18 stored it: class version 1, no identity values."""
    transcoder = JSONTranscoder()
    transcoder.register(UUIDAsHex())
    transcoder.register(DatetimeAsISO())
    fields = {key: value for key, value in cast.creation_fields().items()
              if key not in ("applicant_gender", "applicant_birth_date")}
    state = dict(fields, applicant_id=cast.applicant.account_id, actor=cast.applicant.to_dict(), prev_hash=GENESIS,
                 timestamp=datetime(2025, 3, 1, tzinfo=timezone.utc), originator_topic=get_topic(d.Dossier))
    state["hash"] = event_hash(topic=get_topic(d.Created), originator_id=originator_id, version=1,
                               class_version=1, state=state)
    row = StoredEvent(originator_id=originator_id, originator_version=1, topic=get_topic(d.Created),
                      state=transcoder.encode(state))
    return Mapper(transcoder=transcoder), row, state


class TestOldDossiersKeepLoading:
    def test_a_version_1_created_event_folds_with_no_identity_values_and_its_hash_still_checks(self):
        cast, originator_id = Cast(), uuid.uuid4()
        mapper, row, state = stored_v1_created(originator_id, cast)
        dossier = mapper.to_domain_event(row).mutate(None)
        assert (dossier.to_dict()["applicant_gender"], dossier.to_dict()["applicant_birth_date"]) == (None, None)
        assert verify_chain([(1, row.topic, originator_id, 1, state)]) == (True, 1, None)

    def test_an_old_basic_info_with_typed_values_still_folds_and_is_shown_as_typed(self):
        cast = Cast()
        dossier = d.Dossier.create(cast.applicant, **{**cast.creation_fields(), "applicant_gender": None,
                                                      "applicant_birth_date": None})
        old = {"gender": "男", "birth_date": "1988-05-01", "phone": "13800000000", "work_start_date": "2010-07-01"}
        dossier.update_basic_info(cast.applicant, old)  # the aggregate stores what its schema once let through
        answer = dossier.to_dict()
        assert answer["sections"]["basic_info"]["birth_date"] == "1988-05-01"
        assert identity_fields(answer) == [("性别", "男(申报人填写)"), ("出生日期", "1988-05-01(申报人填写)")]

    def test_a_new_dossier_shows_the_id_numbers_values(self):
        answer = {"applicant_gender": FEMALE, "applicant_birth_date": "2001-03-08",
                  "sections": {"basic_info": {"gender": "男", "birth_date": "1988-05-01"}}}
        assert identity_fields(answer) == [("性别", "女"), ("出生日期", "2001-03-08")]


# --- contact phone and e-mail -------------------------------------------------------------------------


class TestContactPhone:
    @pytest.mark.parametrize("phone", ["13800000000", "19912345678", "0871-63123456", "087163123456",
                                       "010-12345678", "0871-6312345", "0871-63123456-801"])
    def test_a_mobile_or_a_landline_with_its_area_code_is_accepted(self, phone):
        assert load_or_raise(BasicInfoSchema(), basic_info(phone=phone))["phone"] == phone

    @pytest.mark.parametrize("phone", ["12", "12800000000", "1380000000", "138000000001", "63123456",
                                       "0871-631234", "0871-631234567", "0871-63123456-", "0871-63123456-1234567",
                                       "１３８０００００００", "138 0000 0000", "abc", "0871--63123456"])
    def test_anything_else_is_refused_with_what_a_number_looks_like(self, phone):
        message = refused(basic_info(phone=phone))["phone"][0]
        assert "11 位手机号码" in message and "固定电话" in message


class TestEmail:
    @pytest.mark.parametrize("email", ["", "liming@example.cn", "li.ming+title@mail.km.gov.cn", "a_b-c@x-y.com"])
    def test_a_sane_address_or_none_is_accepted(self, email):
        assert load_or_raise(BasicInfoSchema(), basic_info(email=email))["email"] == email

    @pytest.mark.parametrize("email", ["not-an-email", "a@b", "@example.cn", "liming@", "li..ming@example.cn",
                                       ".liming@example.cn", "li ming@example.cn", "liming@exa_mple.cn",
                                       "liming@-example.cn", "李明@example.cn", "a@b.c", "liming@example.cn."])
    def test_a_malformed_address_is_refused(self, email):
        assert refused(basic_info(email=email))["email"] == ["电子邮箱格式不正确,应如 zhangsan@example.com"]

    def test_a_long_address_is_refused_by_its_length(self):
        email = "a" * 60 + "@" + "b" * 40 + ".cn"
        assert refused(basic_info(email=email))["email"] == ["电子邮箱不能超过 100 个字符"]

    def test_a_local_part_over_64_characters_is_refused(self):
        assert "格式不正确" in refused(basic_info(email="a" * 65 + "@km.cn"))["email"][0]


# --- 现聘情况 -------------------------------------------------------------------------------------------


class TestCurrentAppointment:
    @pytest.mark.parametrize("field", ["current_post", "appointed_on", "employer_type"])
    def test_each_is_required(self, field):
        data = basic_info()
        del data[field]
        assert refused(data)[field] == ["此项为必填项"]

    def test_the_employer_type_is_one_of_the_list_named_in_chinese(self):
        message = refused(basic_info(employer_type="company"))["employer_type"][0]
        assert all(label in message for label in EMPLOYER_TYPES.values())

    @pytest.mark.parametrize("code", sorted(EMPLOYER_TYPES))
    def test_every_listed_type_is_accepted(self, code):
        assert load_or_raise(BasicInfoSchema(), basic_info(employer_type=code))["employer_type"] == code

    def test_an_appointment_in_the_future_is_refused(self):
        tomorrow = (beijing_today() + timedelta(days=1)).isoformat()
        assert beijing_today().isoformat() in refused(basic_info(appointed_on=tomorrow))["appointed_on"][0]

    def test_an_appointment_before_the_start_of_work_is_refused(self):
        fields = refused(basic_info(work_start_date="2010-07-01", appointed_on="2010-06-30"))
        assert fields == {"appointed_on": ["聘任时间不能早于参加工作时间(2010-07-01)"]}

    def test_an_appointment_on_the_day_work_started_is_accepted(self):
        loaded = load_or_raise(BasicInfoSchema(), basic_info(work_start_date="2010-07-01", appointed_on="2010-07-01"))
        assert loaded["appointed_on"] == date(2010, 7, 1)
