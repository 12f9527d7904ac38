"""A certificate's fields as the tests of domain, signing and rendering share them."""
from services.certificate.domain import CertificateFields

FIELDS = CertificateFields(
    number="20265301012000001", name="李明", gender="男", id_number_masked="5301**********123X", unit="演示单位甲",
    series="工程", specialty="土木工程", qualification="工程师", level="中级", method="评审",
    committee="昆明市工程系列中级评审委员会", pass_date="2026-03-01", issuing_body="昆明市人力资源和社会保障局",
    issue_date="2026-03-10",
)
