import pytest

from bot.domain.channels import is_team_channel, is_team_channel_id


@pytest.mark.parametrize("channel_id", ["C0123ABCD", "G0123ABCD", "C012"])
def test_public_and_private_channels_are_team_channels(channel_id):
    assert is_team_channel_id(channel_id) and is_team_channel(channel_id)


@pytest.mark.parametrize(
    "channel_id", [None, "", "D0123ABCD", "U0123ABCD", "c0123abcd", "C0123ABCD\n", "C" + "1" * 40]
)
def test_dms_users_and_malformed_ids_are_not(channel_id):
    assert not is_team_channel_id(channel_id) and not is_team_channel(channel_id)


@pytest.mark.parametrize("name", ["directmessage", "mpdm-alice--bob-1"])
def test_group_dms_are_told_apart_by_name(name):
    assert not is_team_channel("G0123ABCD", name)
    assert is_team_channel("G0123ABCD", "growth")
