import pytest

from monitor.access import PERSONAS, AccessPolicy, login_provider
from monitor.errors import SettingsError

MAPPING = "grp-bi=business; grp-de=data_engineering,business\nMLOps.Admin=*"


def test_rules_are_parsed_with_star_expanded():
    policy = AccessPolicy.parse(MAPPING)
    assert policy.rules == {
        "grp-bi": {"business"},
        "grp-de": {"data_engineering", "business"},
        "MLOps.Admin": set(PERSONAS),
    }


def test_empty_setting_grants_nothing():
    assert AccessPolicy.parse("").rules == {}
    assert AccessPolicy.parse(" ; ").personas({"groups": ["grp-bi"]}) == ()


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        ({"groups": ["grp-bi"]}, ("business",)),
        ({"groups": ["grp-de", "grp-bi"]}, ("business", "data_engineering")),
        ({"roles": ["MLOps.Admin"]}, PERSONAS),
        ({"roles": "MLOps.Admin"}, PERSONAS),  # a single value may come as a string
        ({"groups": ["GRP-BI"]}, ()),  # values are compared case sensitively
        ({"groups": [], "roles": []}, ()),
        ({"email": "x@example.com"}, ()),
    ],
)
def test_personas_are_the_union_over_groups_and_roles(user, expected):
    assert AccessPolicy.parse(MAPPING).personas(user) == expected


def test_star_on_the_left_grants_every_signed_in_user():
    policy = AccessPolicy.parse("*=business; grp-ds=data_science")
    assert policy.personas({}) == ("business",)
    assert policy.personas({"groups": ["grp-ds"]}) == ("business", "data_science")


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("grp-bi", "rule 'grp-bi' has no '='"),
        ("=business", "names no group or role"),
        ("grp-bi=", "grants no persona"),
        ("grp-bi=business,finance", "unknown persona(s) finance; valid: business, data_engineering, data_science or *"),
        ("grp-bi=business;grp-de", "rule 'grp-de' has no '='"),
    ],
)
def test_malformed_rules_name_the_setting_and_the_rule(text, needle):
    with pytest.raises(SettingsError, match="MONITOR_PERSONAS") as err:
        AccessPolicy.parse(text)
    assert needle in str(err.value)


AUTH = {"redirect_uri": "https://app.example.com/oauth2callback", "cookie_secret": "s",
        "microsoft": {"client_id": "id", "client_secret": "secret", "server_metadata_url": "https://idp/.well-known"}}


def test_login_provider_prefers_microsoft():
    assert login_provider(AUTH) == "microsoft"
    assert login_provider({**AUTH, "google": dict(AUTH["microsoft"])}) == "microsoft"


def test_login_provider_accepts_one_other_or_the_default_provider():
    other = {k: v for k, v in AUTH.items() if k != "microsoft"}
    assert login_provider({**other, "okta": AUTH["microsoft"]}) == "okta"
    assert login_provider({**other, **AUTH["microsoft"]}) is None


def test_incomplete_auth_lists_every_missing_key():
    with pytest.raises(SettingsError) as err:
        login_provider({"redirect_uri": "x", "microsoft": {"client_id": "id"}})
    message = str(err.value)
    for key in ("[auth] cookie_secret", "[auth.microsoft] client_secret", "[auth.microsoft] server_metadata_url"):
        assert key in message


def test_several_providers_without_microsoft_are_ambiguous():
    other = {k: v for k, v in AUTH.items() if k != "microsoft"}
    with pytest.raises(SettingsError, match="several providers"):
        login_provider({**other, "google": AUTH["microsoft"], "okta": AUTH["microsoft"]})
