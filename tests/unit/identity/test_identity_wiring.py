"""Identity's composition: one application class per responsibility, each a declared dependency."""
from dataclasses import fields

from services.identity.application import Identity
from services.identity.dependencies import IdentityApplication
from services.identity.service import IdentityService

SHARED_COLLABORATORS = {"session_factory", "hasher", "revocations"}


def test_the_service_declares_every_application_as_a_dependency():
    declared = {name: value.application for name, value in vars(IdentityService).items()
                if isinstance(value, IdentityApplication)}
    applications = {field.name for field in fields(Identity)} - SHARED_COLLABORATORS
    assert set(declared) == applications and all(name == target for name, target in declared.items())


def test_no_application_inherits_use_cases_from_a_mixin():
    for field in fields(Identity):
        if field.name not in SHARED_COLLABORATORS:
            assert field.type.__bases__ == (object,), f"{field.type.__name__} should stand alone"
