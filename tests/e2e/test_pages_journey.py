"""The applicant's journey through the Chinese web pages in headless Chromium, and the unit admin who
confirms and approves; field errors, a returned dossier, the phone layout, password reset, signing out."""
import re

from playwright.sync_api import expect

from tests.e2e.conftest import DEMO_PASSWORD, PHONE, login
from tests.e2e.test_applicant_journey_http import fill_sections, join_unit, register_and_login, upload, upload_required
from tests.factories import mobile_phone, resident_id
from tests.pdfs import make_pdf
from tests.waiting import wait_until

PASSWORD = "Shenbao2026"

expect.set_options(timeout=15000)


def shot(page, screenshots, name):
    page.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)


def sign_in(page, username, password):
    page.goto("/login")
    page.fill("#f-username", username)
    page.fill("#f-password", password)
    page.click("#login-form button[type=submit]")
    expect(page.locator("#logout")).to_be_visible()


def saved(page, section=None):
    """The save's confirmation, inside the saved section (where the page has jumped), not at the top."""
    where = page.locator(f"#sec-{section} .section-flash") if section else page.locator(".section-flash")
    expect(where).to_have_text("已保存。")
    expect(page.locator(".flash")).to_have_count(0)


def confirm(page, button="#confirm-action"):
    """Pass a confirmation step (提交申报, 删除, 结束表决并计票, 发布公示): the server's page says what
    will happen; nothing is done until its button is pressed."""
    expect(page.locator("#confirm-step")).to_be_visible()
    page.click(button)


def fill_row(page, section, index, values):
    for name, value in values.items():
        selector = f"#f-{section}-entries-{index}-{name}"
        if page.locator(selector).evaluate("e => e.tagName") == "SELECT":
            page.select_option(selector, value)
        elif value is True:
            page.check(selector)
        else:
            page.fill(selector, str(value))


def fill_rows(page, section, rows):
    """Fill *rows* into a list section, adding rows with its 添加一条 button as needed, then save."""
    form = page.locator(f"#form-{section}")
    present = form.locator(".rows .row").count()
    for index, values in enumerate(rows):
        if index >= present:
            form.locator(".add-row").click()
        fill_row(page, section, index, values)
    form.locator("button[type=submit]").click()


def continuing_education_rows():
    rows = []
    for year in (2023, 2024, 2025):
        rows.append({"year": year, "kind": "professional", "hours": 60, "course": "专业课程"})
        rows.append({"year": year, "kind": "public", "hours": 30, "course": "公需课程"})
    return rows


# -- the journey's steps, each as the person would do it in the browser --------------------------


def register_and_sign_in(page, screenshots, person):
    page.goto("/")
    expect(page.locator("h1")).to_have_text("专业技术人员职称申报")
    expect(page.locator(".notice h3").first).to_contain_text("2026年度")
    shot(page, screenshots, "01-home")
    page.goto("/register")
    for field in ("name", "id_number", "phone"):
        page.fill(f"#f-{field}", person[field])
    page.fill("#f-password", PASSWORD)
    page.fill("#f-password_confirm", PASSWORD)
    shot(page, screenshots, "02-register")
    page.click("#register-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/login\?msg=registered"))
    expect(page.locator(".flash")).to_have_text("注册成功,请登录。")
    sign_in(page, person["phone"], PASSWORD)
    expect(page).to_have_url(re.compile(r"/dossiers$"))
    expect(page.locator(".alert-warn")).to_contain_text("加入工作单位")


def ask_to_join_unit_a(page):
    page.goto("/units/join?q=演示单位甲")
    page.locator(".unit-list li", has_text="演示单位甲").locator("button").click()
    expect(page.locator(".flash")).to_contain_text("已提交加入单位的申请")
    expect(page.locator(".membership")).to_contain_text("待单位管理员确认")


def confirm_member(admin, screenshots, person):
    admin.goto("/review/members")
    row = admin.locator("#pending-members tr", has_text=person["name"])
    expect(row).to_contain_text("*")  # the ID number is masked
    expect(row).not_to_contain_text(person["id_number"])
    shot(admin, screenshots, "03-unit-admin-members")
    row.locator("button", has_text="确认").click()
    expect(admin.locator(".flash")).to_have_text("已确认该成员加入本单位。")


def create_dossier(page, screenshots):
    """新建申报: only the notice's open series and levels are offered. Returns the editor's URL."""
    page.goto("/dossiers")
    page.click("#new-dossier")
    page.select_option("#f-series", "health")
    expect(page.locator("#f-level option[data-series=health][value=intermediate]")).to_have_count(0)
    page.select_option("#f-series", "engineering")
    page.fill("#f-specialty", "给排水工程")
    page.select_option("#f-level", "intermediate")
    shot(page, screenshots, "04-new-dossier")
    page.click("#new-dossier-form button[type=submit]")
    expect(page.locator(".flash")).to_contain_text("申报材料已创建")
    return page.url.split("?")[0]


def fill_basic_education_and_work(page, person):
    # 性别 and 出生日期 are shown from the ID number, not typed.
    expect(page.locator("#identity-fields")).to_contain_text("由身份证号码自动生成")
    number = person["id_number"]
    expect(page.locator("#identity-fields")).to_contain_text(f"{number[6:10]}-{number[10:12]}-{number[12:14]}")
    expect(page.locator("#f-basic_info-birth_date")).to_have_count(0)
    for field, value in {"phone": person["phone"], "work_start_date": "2010-07-01", "current_post": "工程师岗",
                         "appointed_on": "2016-12-15", "current_title": "助理工程师",
                         "current_title_obtained_on": "2016-12-01", "ethnicity": "汉族"}.items():
        page.fill(f"#f-basic_info-{field}", value)
    page.select_option("#f-basic_info-employer_type", "public_institution")
    page.select_option("#f-basic_info-current_title_series", "engineering")
    page.select_option("#f-basic_info-current_title_level", "primary")
    page.click("#form-basic_info button[type=submit]")
    saved(page, "basic_info")
    fill_rows(page, "education", [{"education_level": "bachelor", "school": "昆明理工大学", "major": "给排水工程",
                                   "start": "2006-09-01", "end": "2010-06-30", "degree": "学士", "highest": True}])
    saved(page, "education")
    fill_rows(page, "work_experience", [{"employer": "演示单位甲", "position": "技术员", "start": "2010-07-01",
                                         "duties": "给排水工程设计与施工管理"}])
    saved(page, "work_experience")


def see_every_eligibility_failure(page, screenshots):
    page.click("#check-eligibility")
    result = page.locator("#eligibility-result")
    expect(result).to_contain_text("资格自查未通过")
    # One list for everything (一次性告知): the rules failed, and the files the checklist still asks for.
    expect(result.locator("li", has_text="的年度考核结果")).to_have_count(1)
    expect(result.locator("li", has_text="继续教育学时不足")).to_have_count(1)
    expect(result.locator("li", has_text="年度考核登记表").first).to_be_visible()
    shot(page, screenshots, "05-eligibility-failures")


def fill_continuing_education(page, dossier_url, screenshots):
    """A bad value gets its Chinese error beside the field; then a shortfall is warned; then enough hours."""
    page.goto(dossier_url)
    rows = continuing_education_rows()
    rows[0]["hours"] = 0
    fill_rows(page, "continuing_education", rows)
    expect(page.locator("#err-continuing_education-entries-0-hours")).to_have_text("应在 0.5 到 1000 之间")
    expect(page.locator("#f-continuing_education-entries-0-hours")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#f-continuing_education-entries-5-course")).to_have_value("公需课程")  # nothing lost
    shot(page, screenshots, "06-field-error")
    page.fill("#f-continuing_education-entries-0-hours", "60")
    page.fill("#f-continuing_education-entries-4-hours", "40")  # 2025 专业科目 40 of 60
    page.click("#form-continuing_education button[type=submit]")
    saved(page, "continuing_education")
    expect(page.locator("#ce-year-2025")).to_contain_text("差 20 学时")
    expect(page.locator("#ce-year-2025")).to_contain_text("专业科目差 20 学时")
    expect(page.locator("#ce-year-2024")).to_contain_text("达标")
    page.locator("#ce-summary").screenshot(path=str(screenshots / "07-continuing-education-shortfall.png"))
    page.fill("#f-continuing_education-entries-4-hours", "60")
    page.click("#form-continuing_education button[type=submit]")
    saved(page, "continuing_education")
    expect(page.locator("#ce-summary tr.short")).to_have_count(0)


def fill_achievement_assessments_review_form_and_commitment(page, person):
    page.select_option("#f-achievements-kind", "项目")
    page.fill("#f-achievements-title", "某污水处理厂改扩建工程")
    page.fill("#f-achievements-date", "2021-06-01")
    page.fill("#f-achievements-role", "技术负责人")
    page.click("#form-achievements button[type=submit]")
    expect(page.locator("#achievement-list")).to_contain_text("某污水处理厂改扩建工程")
    fill_rows(page, "annual_assessments", [{"year": year, "result": "competent"} for year in range(2017, 2026)])
    saved(page, "annual_assessments")
    page.fill("#f-review_form-work_summary", "从事给排水工程技术工作十余年。")
    page.fill("#f-review_form-main_achievements", "主持完成三项市政给排水工程。")
    page.click("#form-review_form button[type=submit]")
    saved(page, "review_form")
    page.fill("#f-commitment-signed_name", person["name"])
    page.click("#form-commitment button[type=submit]")
    saved(page, "commitment")


def upload_pdf(page, screenshots, pdf):
    """The progress bar reaches 100% and the material is listed with a link that opens the PDF."""
    page.select_option("#f-materials-category", "diploma")
    page.set_input_files("#f-materials-file", str(pdf))
    page.click("#upload-form button[type=submit]")
    expect(page.locator("#upload-status")).to_contain_text("上传完成")
    expect(page.locator("#upload-progress")).to_have_js_property("value", 100)
    expect(page.locator("#upload-percent")).to_have_text("100%")
    link = page.locator("#material-list a", has_text="学历证书.pdf")
    expect(link).to_be_visible()
    shot(page, screenshots, "08-upload-done")
    opened = page.request.get(link.get_attribute("href"))
    assert opened.status == 200 and opened.headers["content-type"] == "application/pdf"
    assert opened.body() == pdf.read_bytes()


def upload_the_rest_of_the_checklist(page, person, dossier_url):
    """The files the 必备材料清单 still asks for, uploaded over the API as the same applicant."""
    from tests.e2e.conftest import login
    from tests.e2e.test_applicant_journey_http import upload_required
    from tests.httpclient import HttpClient

    api = login(HttpClient(page.url.split("/dossiers")[0]), person["phone"], PASSWORD)
    upload_required(api, dossier_url.rsplit("/", 1)[-1])


def check_preview_and_submit(page, dossier_url, screenshots):
    page.goto(dossier_url)
    expect(page.locator("#checklist-complete")).to_be_visible()
    page.click("#check-eligibility")
    expect(page.locator("#eligibility-result")).to_contain_text("资格自查通过")
    expect(page.locator("#check-ready")).to_be_visible()
    shot(page, screenshots, "09-editor-complete")
    page.click("#preview-link")
    expect(page.locator("#view-basic_info")).to_contain_text("工程师岗")  # 现聘情况 in the preview
    expect(page.locator("#view-basic_info")).to_contain_text("事业单位")
    expect(page.locator("#view-continuing_education")).to_contain_text("专业课程")
    shot(page, screenshots, "10-preview")
    page.goto(dossier_url)
    page.click("#submit-dossier")
    expect(page.locator("#confirm-lines")).to_contain_text("提交后在单位审核前可撤回;单位审核后将不能修改")
    confirm(page)
    expect(page.locator(".flash")).to_contain_text("申报材料已提交")
    expect(page.locator("#dossier-status")).to_have_text("待单位审核")
    expect(page.locator("#form-basic_info")).to_have_count(0)  # locked after submission


def approve_as_unit_admin(admin, screenshots, dossier_id, person):
    admin.goto("/review")
    queue_row = admin.locator(f"#row-{dossier_id}")
    expect(queue_row).to_contain_text(person["name"])
    expect(queue_row).to_contain_text("待单位审核")
    shot(admin, screenshots, "11-review-queue")
    queue_row.locator("a", has_text="审核").click()
    expect(admin.locator("#view-materials a", has_text="学历证书.pdf")).to_be_visible()
    admin.fill("#f-approve-opinion", "同意推荐")
    shot(admin, screenshots, "12-review-dossier")
    admin.click("#approve-form button[type=submit]")
    expect(admin.locator(".flash")).to_have_text("审核决定已记录。")
    expect(admin.locator(f"#row-{dossier_id}")).to_contain_text("单位审核通过")


def see_the_approval_and_the_history(page, screenshots, dossier_id):
    """The new status, the progress graphic and the events with time, role and opinion."""
    page.goto("/dossiers")
    card = page.locator(f"#dossier-{dossier_id}")
    expect(card.locator(".status")).to_have_text("单位审核通过")
    expect(card.locator(".step-done .step-label")).to_have_text(["个人申报"])
    expect(card.locator(".step-current .step-label")).to_have_text("单位审核")
    approval = card.locator("tr.event-unit_approved")
    expect(approval).to_contain_text("单位管理员")
    expect(approval).to_contain_text("同意推荐")
    expect(card.locator("tr.event-submitted")).to_contain_text("申报人")
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", approval.locator("td").first.inner_text())
    shot(page, screenshots, "13-my-dossiers-after-approval")
    card.locator("a", has_text="完整历史").click()
    expect(page.locator("#verify-result")).to_contain_text("校验通过")
    expect(page.locator("tr.event-material_attached", has_text="学历证书.pdf")).to_have_count(1)
    shot(page, screenshots, "14-history")


def look_at_it_on_a_phone(page, screenshots, person, dossier_url):
    sign_in(page, person["phone"], PASSWORD)
    shot(page, screenshots, "15-phone-my-dossiers")
    page.goto(dossier_url)
    shot(page, screenshots, "16-phone-dossier")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide on a 375px phone"


class TestApplicantJourneyInTheBrowser:
    def test_register_join_fill_upload_check_submit_and_see_the_unit_approval(self, new_page, screenshots, tmp_path):
        person = {"name": "陈静", "id_number": resident_id(), "phone": mobile_phone()}
        pdf = tmp_path / "学历证书.pdf"
        pdf.write_bytes(make_pdf(pages=2, padding=3 * 1024 * 1024))
        applicant, admin = new_page(), new_page()

        register_and_sign_in(applicant, screenshots, person)
        ask_to_join_unit_a(applicant)
        sign_in(admin, "unit_a_admin", DEMO_PASSWORD)
        expect(admin).to_have_url(re.compile(r"/review$"))
        confirm_member(admin, screenshots, person)
        dossier_url = create_dossier(applicant, screenshots)
        dossier_id = dossier_url.rsplit("/", 1)[-1]
        fill_basic_education_and_work(applicant, person)
        see_every_eligibility_failure(applicant, screenshots)
        fill_continuing_education(applicant, dossier_url, screenshots)
        fill_achievement_assessments_review_form_and_commitment(applicant, person)
        upload_pdf(applicant, screenshots, pdf)
        upload_the_rest_of_the_checklist(applicant, person, dossier_url)
        check_preview_and_submit(applicant, dossier_url, screenshots)
        approve_as_unit_admin(admin, screenshots, dossier_id, person)
        see_the_approval_and_the_history(applicant, screenshots, dossier_id)
        look_at_it_on_a_phone(new_page(PHONE), screenshots, person, dossier_url)


class TestFormsAndReturns:
    def test_a_bad_id_number_is_explained_next_to_the_field(self, new_page, screenshots):
        page = new_page()
        page.goto("/register")
        page.fill("#f-name", "李雷")
        page.fill("#f-id_number", "110105194912310021")  # wrong check character
        page.fill("#f-phone", mobile_phone())
        page.fill("#f-password", PASSWORD)
        page.fill("#f-password_confirm", PASSWORD)
        page.click("#register-form button[type=submit]")
        error = page.locator("#err-id_number")
        expect(error).to_be_visible()
        expect(error).to_contain_text("校验")
        expect(page.locator("#f-id_number")).to_have_value("110105194912310021")
        expect(page.locator("#err-phone")).to_have_count(0)
        shot(page, screenshots, "17-register-field-error")

    def test_a_returned_dossier_shows_the_reason_and_highlights_the_sections(self, system, new_page, screenshots):
        client = system["client"]
        id_number, phone = resident_id(), mobile_phone()
        answer = client.post("/api/v1/auth/register", json_body={"name": "周敏", "id_number": id_number,
                                                                  "phone": phone, "password": PASSWORD})
        assert answer.status == 201, answer
        applicant = login(client, phone, PASSWORD)
        join_unit(client, applicant)
        created = applicant.post("/api/v1/dossiers", json_body={"review_year": 2026, "series": "engineering",
                                                                "specialty": "电气工程", "level": "intermediate"})
        dossier_id = created.json["id"]
        fill_sections(applicant, dossier_id, "周敏")
        assert upload(applicant, dossier_id, make_pdf()).status == 201
        upload_required(applicant, dossier_id)
        assert applicant.post(f"/api/v1/dossiers/{dossier_id}/submit").status == 200
        unit_admin = login(client, "unit_a_admin")
        version = unit_admin.get(f"/api/v1/dossiers/{dossier_id}").json["dossier"]["version"]
        returned = unit_admin.post(
            f"/api/v1/dossiers/{dossier_id}/decisions",
            json_body={"action": "return", "reason": "继续教育证明不清晰,请重新上传",
                       "sections": ["continuing_education", "materials"], "expected_version": version})
        assert returned.status == 200, returned

        page = new_page()
        sign_in(page, phone, PASSWORD)
        page.goto(f"/dossiers/{dossier_id}")
        notice = page.locator("#return-notice")
        expect(notice).to_contain_text("继续教育证明不清晰,请重新上传")
        expect(notice).to_contain_text("单位")
        expect(page.locator("#sec-continuing_education")).to_have_class(re.compile(r"\bflagged\b"))
        expect(page.locator("#sec-materials")).to_have_class(re.compile(r"\bflagged\b"))
        expect(page.locator("#sec-basic_info")).not_to_have_class(re.compile(r"\bflagged\b"))
        expect(page.locator("#sec-continuing_education .flag-note")).to_contain_text("继续教育证明不清晰")
        expect(page.locator("#submit-dossier")).to_have_text("重新提交")
        shot(page, screenshots, "18-returned-dossier")
        on_phone = new_page(PHONE)
        sign_in(on_phone, phone, PASSWORD)
        on_phone.goto(f"/dossiers/{dossier_id}")
        expect(on_phone.locator("#return-notice")).to_be_visible()
        shot(on_phone, screenshots, "19-phone-returned-editor")
        assert on_phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    def test_the_unit_admin_returns_with_a_reason_and_sections_in_the_browser(self, system, new_page):
        client = system["client"]
        applicant, _ = register_and_login(client, "吴刚")
        join_unit(client, applicant)
        created = applicant.post("/api/v1/dossiers", json_body={"review_year": 2026, "series": "engineering",
                                                                "specialty": "结构工程", "level": "intermediate"})
        dossier_id = created.json["id"]
        fill_sections(applicant, dossier_id, "吴刚")
        assert upload(applicant, dossier_id, make_pdf()).status == 201
        upload_required(applicant, dossier_id)
        assert applicant.post(f"/api/v1/dossiers/{dossier_id}/submit").status == 200

        admin = new_page()
        sign_in(admin, "unit_a_admin", DEMO_PASSWORD)
        admin.goto(f"/review/{dossier_id}")
        admin.click("#return-form button[type=submit]")  # no reason, no sections
        expect(admin.locator("#err-return-reason")).to_contain_text("请填写退回原因")  # 或逐条列出问题
        expect(admin.locator("#err-return-sections")).to_have_text("请选择需要修改的栏目")
        admin.fill("#f-return-reason", "工作经历不完整")
        admin.check("#return-form input[value=work_experience]")
        admin.click("#return-form button[type=submit]")
        expect(admin.locator(".flash")).to_have_text("审核决定已记录。")
        view = applicant.get(f"/api/v1/dossiers/{dossier_id}").json["dossier"]
        assert view["status"] == "returned"
        assert view["return_notice"]["sections"] == ["work_experience"]


class TestAccountPages:
    def test_password_reset_by_texted_code(self, system, new_page, notification_rpc):
        client = system["client"]
        phone = mobile_phone()
        answer = client.post("/api/v1/auth/register", json_body={"name": "郑洁", "id_number": resident_id(),
                                                                  "phone": phone, "password": PASSWORD})
        assert answer.status == 201
        page = new_page()
        page.goto("/login")
        page.click("text=忘记密码?")
        page.fill("#f-phone", phone)
        page.click("#reset-request-form button[type=submit]")
        expect(page.locator("#reset-confirm-form")).to_be_visible()
        (body,) = wait_until(lambda: [item["body"] for item in notification_rpc.outbox({"phone": phone})["items"]],
                             seconds=15, what="the reset code SMS")
        code = re.search(r"\d{6}", body).group(0)
        page.fill("#f-code", code)
        page.fill("#f-new_password", "Xinmima2026")
        page.fill("#f-new_password_confirm", "Xinmima2026")
        page.click("#reset-confirm-form button[type=submit]")
        expect(page.locator(".flash")).to_have_text("密码已重置,请使用新密码登录。")
        sign_in(page, phone, "Xinmima2026")

    def test_signing_out_ends_the_session(self, new_page):
        page = new_page()
        sign_in(page, "unit_a_admin", DEMO_PASSWORD)
        page.click("#logout")
        expect(page.locator(".flash")).to_have_text("您已安全退出。")
        page.goto("/review")
        expect(page).to_have_url(re.compile(r"/login\?next=/review"))
        cookies = {cookie["name"] for cookie in page.context.cookies()}
        assert "kt_access" not in cookies and "kt_refresh" not in cookies
