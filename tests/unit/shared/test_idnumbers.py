"""Unit tests for shared.idnumbers: resident ID numbers, credit codes and masking.

Every constant number below was checked by hand against the standards, and cross-checked with
the recursive form of ISO 7064 MOD 11-2 (resident IDs) and weights 3**i mod 31 (credit codes),
which are different computations from the weighted sums the module uses.
"""
import re
from dataclasses import FrozenInstanceError
from datetime import date

import pytest

from shared.idnumbers import (
    CreditCodeCheck,
    InvalidResidentId,
    ResidentId,
    check_credit_code,
    mask_resident_id,
    parse_resident_id,
)

FEMALE_1949 = "11010519491231002X"
MALE_1880 = "440524188001010014"
# 530122 was 呈贡县, retired when it became 呈贡区 (530114); numbers issued under it stay valid.
RETIRED_REGION_MALE = "530122198503150013"
RETIRED_REGION_FEMALE = "530122198503150021"
LEAP_DAY_2000 = "110105200002290013"
# Correct check digits for dates that do not exist or lie in the future, so that only the
# birth-date check can be what rejects them.
NON_LEAP_DAY_1900 = "110105190002290017"
NON_LEAP_DAY_2001 = "110105200102290010"
BORN_2030 = "11010520300101001X"
BORN_2999 = "110105299901010014"

FIXED_TODAY = date(2024, 6, 1)

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def _assert_rejected(text, check, keyword, **kwargs):
    with pytest.raises(InvalidResidentId) as caught:
        parse_resident_id(text, **kwargs)
    error = caught.value
    assert error.check == check
    assert CHINESE.search(str(error)), str(error)
    assert keyword in str(error)
    return error


class TestParseResidentId:
    def test_a_valid_female_number_gives_its_birth_date_gender_and_region(self):
        parsed = parse_resident_id(FEMALE_1949)

        assert parsed == ResidentId(
            number=FEMALE_1949, birth_date=date(1949, 12, 31), gender="female", region_code="110105"
        )

    def test_a_valid_male_number_born_in_1880_is_accepted(self):
        parsed = parse_resident_id(MALE_1880)

        assert parsed.number == MALE_1880
        assert parsed.birth_date == date(1880, 1, 1)
        assert parsed.gender == "male"
        assert parsed.region_code == "440524"

    def test_a_lower_case_x_and_surrounding_spaces_are_accepted_and_normalised(self):
        parsed = parse_resident_id("  11010519491231002x \t")

        assert parsed.number == FEMALE_1949

    def test_a_full_width_space_around_the_number_is_stripped(self):
        assert parse_resident_id("\u3000" + MALE_1880 + "\u3000").number == MALE_1880

    @pytest.mark.parametrize(
        "number, gender",
        [(RETIRED_REGION_MALE, "male"), (RETIRED_REGION_FEMALE, "female")],
    )
    def test_an_odd_seventeenth_digit_means_male_and_an_even_one_female(self, number, gender):
        assert parse_resident_id(number).gender == gender

    def test_a_retired_address_code_is_not_rejected(self):
        parsed = parse_resident_id(RETIRED_REGION_MALE)

        assert parsed.region_code == "530122"
        assert parsed.birth_date == date(1985, 3, 15)

    def test_february_29_in_a_leap_year_is_a_real_birth_date(self):
        assert parse_resident_id(LEAP_DAY_2000).birth_date == date(2000, 2, 29)

    @pytest.mark.parametrize("number", [NON_LEAP_DAY_1900, NON_LEAP_DAY_2001])
    def test_february_29_in_a_non_leap_year_is_rejected_as_a_birth_date(self, number):
        _assert_rejected(number, "birth_date", "出生日期")

    @pytest.mark.parametrize(
        "birth",
        ["20241301", "20240431", "20240100", "00000101"],
        ids=["month-13", "april-31", "day-0", "year-0"],
    )
    def test_an_impossible_birth_date_is_rejected_before_the_check_digit(self, birth):
        _assert_rejected("110105" + birth + "0010", "birth_date", "出生日期")

    def test_a_birth_date_in_the_future_is_rejected(self):
        error = _assert_rejected(BORN_2030, "birth_date", "出生日期", today=FIXED_TODAY)

        assert "晚于" in str(error)

    def test_a_birth_date_of_today_is_accepted(self):
        assert parse_resident_id(BORN_2030, today=date(2030, 1, 1)).birth_date == date(2030, 1, 1)

    def test_without_today_the_future_is_judged_against_the_real_date(self):
        _assert_rejected(BORN_2999, "birth_date", "出生日期")

    @pytest.mark.parametrize(
        "text",
        ["", "11010519491231002", "11010519491231002X0", "1101051949123100 2X", "x" * 15],
        ids=["empty", "17-chars", "19-chars", "19-chars-with-inner-space", "15-chars"],
    )
    def test_a_number_of_the_wrong_length_is_rejected_for_its_length(self, text):
        _assert_rejected(text, "length", "长度")

    @pytest.mark.parametrize(
        "text",
        [
            "1101051949123100XX",  # X is only allowed last
            "11010519491231002Y",
            "110105194912310 2X",  # an inner space counts as a character, not as padding
            "１1010519491231002X",  # full-width digit: isdigit() would let it through
            "11010519491231002-",
        ],
    )
    def test_a_number_with_a_forbidden_character_is_rejected_for_its_characters(self, text):
        _assert_rejected(text, "characters", "字符")

    def test_length_is_checked_before_characters(self):
        _assert_rejected("ABC", "length", "长度")

    def test_characters_are_checked_before_the_birth_date(self):
        _assert_rejected("11010519491399002Y", "characters", "字符")

    @pytest.mark.parametrize("wrong", list("0123456789"))
    def test_any_other_check_character_on_a_valid_number_is_rejected(self, wrong):
        _assert_rejected(FEMALE_1949[:17] + wrong, "check_digit", "校验码")

    def test_swapping_two_digits_of_a_valid_number_breaks_its_check_digit(self):
        # The 16th and 17th digits ("01") swapped; MOD 11-2 catches every adjacent transposition.
        swapped = MALE_1880[:15] + MALE_1880[16] + MALE_1880[15] + MALE_1880[17:]
        assert swapped != MALE_1880

        _assert_rejected(swapped, "check_digit", "校验码")

    @pytest.mark.parametrize("value", [None, 440524188001010014, 1.5, b"11010519491231002X"])
    def test_a_value_that_is_not_a_string_is_rejected_without_a_type_error(self, value):
        with pytest.raises(InvalidResidentId) as caught:
            parse_resident_id(value)

        assert caught.value.check in {"length", "characters", "birth_date", "check_digit"}
        assert CHINESE.search(str(caught.value))

    def test_the_error_is_a_value_error(self):
        with pytest.raises(ValueError):
            parse_resident_id("123")

    def test_the_error_message_does_not_repeat_the_number(self):
        error = _assert_rejected(FEMALE_1949[:17] + "1", "check_digit", "校验码")

        assert FEMALE_1949[:17] not in str(error)

    def test_the_result_is_frozen(self):
        parsed = parse_resident_id(MALE_1880)

        with pytest.raises(FrozenInstanceError):
            parsed.gender = "female"


class TestCheckCreditCode:
    def test_a_valid_code_is_well_formed_with_a_correct_checksum(self):
        assert check_credit_code("91350100M000100Y43") == CreditCodeCheck(
            code="91350100M000100Y43", well_formed=True, checksum_ok=True
        )

    def test_a_check_value_of_31_is_written_as_zero(self):
        # Weighted sum is 1271 = 41 * 31, so 31 - 0 = 31, which the standard writes as "0".
        assert check_credit_code("91530100MA6K000000").checksum_ok is True

    def test_lower_case_and_surrounding_spaces_are_accepted_and_normalised(self):
        result = check_credit_code("  91350100m000100y43 ")

        assert result.code == "91350100M000100Y43"
        assert result.checksum_ok is True

    @pytest.mark.parametrize("letter", list("IOSVZ"))
    def test_a_code_containing_a_letter_the_standard_leaves_out_is_not_well_formed(self, letter):
        result = check_credit_code("91350100M000100Y4" + letter)

        assert result.well_formed is False
        assert result.checksum_ok is False

    @pytest.mark.parametrize(
        "text", ["", "91350100M000100Y4", "91350100M000100Y433", "91350100M000 100Y43"]
    )
    def test_a_code_of_the_wrong_length_is_not_well_formed(self, text):
        result = check_credit_code(text)

        assert result.well_formed is False
        assert result.checksum_ok is False

    @pytest.mark.parametrize("wrong", ["0", "2", "4", "Y"])
    def test_a_wrong_check_character_is_well_formed_but_fails_the_checksum(self, wrong):
        result = check_credit_code("91350100M000100Y4" + wrong)

        assert result.well_formed is True
        assert result.checksum_ok is False

    def test_a_character_that_upper_cases_to_two_letters_does_not_make_up_the_length(self):
        # "ﬀ".upper() == "FF": a 17-character input must not become an 18-character code.
        result = check_credit_code("91350100M000100\ufb00")

        assert result.well_formed is False

    @pytest.mark.parametrize("value", [None, 913501001000100143])
    def test_a_value_that_is_not_a_string_is_not_well_formed_and_does_not_raise(self, value):
        result = check_credit_code(value)

        assert result.well_formed is False
        assert result.checksum_ok is False


class TestMaskResidentId:
    @pytest.mark.parametrize(
        "number, masked",
        [
            ("53010219900101123X", "5301**********123X"),
            ("  53010219900101123x ", "5301**********123X"),
            (MALE_1880, "4405**********0014"),
        ],
    )
    def test_a_full_number_shows_its_first_four_and_last_four_characters(self, number, masked):
        assert mask_resident_id(number) == masked

    @pytest.mark.parametrize(
        "number, masked",
        [
            ("123456789012345", "123*********345"),
            ("1234567890123456", "1234********3456"),
            ("123456789", "12*****89"),
        ],
    )
    def test_a_shorter_input_reveals_at_most_half_of_its_characters(self, number, masked):
        result = mask_resident_id(number)

        assert result == masked
        assert len(result) == len(number)
        assert len(result) - result.count("*") <= len(number) / 2

    @pytest.mark.parametrize("number", ["", "1", "12345678"])
    def test_an_input_under_nine_characters_is_masked_entirely(self, number):
        assert mask_resident_id(number) == "*" * len(number)

    def test_none_gives_an_empty_string(self):
        assert mask_resident_id(None) == ""

    @pytest.mark.parametrize("length", range(0, 25))
    def test_no_length_ever_reveals_more_than_half(self, length):
        number = "1234567890" * 3
        result = mask_resident_id(number[:length])

        assert len(result) == length
        assert len(result) - result.count("*") <= length / 2
