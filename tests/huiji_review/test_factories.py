import pytest

from tests.factories import CredentialFactory, ParticipantFactory


@pytest.mark.django_db
def test_factories_build_a_consistent_session():
    participant = ParticipantFactory()
    credential = CredentialFactory(session=participant.session)

    assert participant.unit.session == participant.session
    assert participant.unit.category.session == participant.session
    assert credential.group.session == participant.session
    assert participant.session.scheme.weight_review == 100
