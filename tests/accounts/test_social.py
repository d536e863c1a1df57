"""The social graph and privacy rules in accounts.services: follows, blocks, mutes, message routes."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef

from accounts import services
from accounts.models import Block, Follow, PersonMute, Profile, User

pytestmark = pytest.mark.django_db

EVERYONE = Profile.MessagePolicy.EVERYONE
REQUESTS = Profile.MessagePolicy.REQUESTS
FOLLOWED = Profile.MessagePolicy.FOLLOWED


def refusal_of(call, **kwargs):
    with pytest.raises(services.Refused) as caught:
        call(**kwargs)
    return caught.value


# --- Follows -----------------------------------------------------------------------------------


def test_following_someone_is_stored_once_however_often_it_is_asked(alice, bob):
    assert services.follow(follower=alice, followed=bob) is True
    assert services.follow(follower=alice, followed=bob) is False
    assert list(Follow.objects.values_list("follower__username", "followed__username")) == [("alice", "bob")]


def test_unfollowing_removes_the_follow_and_is_idempotent(alice, bob):
    services.follow(follower=alice, followed=bob)
    assert services.unfollow(follower=alice, followed=bob) is True
    assert services.unfollow(follower=alice, followed=bob) is False
    assert not Follow.objects.exists()


def test_following_is_one_way(alice, bob):
    services.follow(follower=alice, followed=bob)
    assert not Follow.objects.filter(follower=bob, followed=alice).exists()


def test_nobody_can_follow_themselves(alice):
    refusal = refusal_of(services.follow, follower=alice, followed=alice)
    assert refusal.code == "not_allowed"
    assert not Follow.objects.exists()


def test_the_database_refuses_a_self_follow_too(alice):
    with pytest.raises(IntegrityError), transaction.atomic():
        Follow.objects.create(follower=alice, followed=alice)


@pytest.mark.parametrize("who_blocks", ["follower", "followed"])
def test_following_across_a_block_is_refused_neutrally_in_both_directions(alice, bob, who_blocks):
    if who_blocks == "follower":
        services.block(blocker=alice, blocked=bob)
    else:
        services.block(blocker=bob, blocked=alice)
    refusal = refusal_of(services.follow, follower=alice, followed=bob)
    assert (refusal.code, refusal.detail) == ("cannot_follow", "You can't follow this person")
    assert not Follow.objects.exists()


# --- Blocks ------------------------------------------------------------------------------------


def test_blocking_removes_the_follows_in_both_directions(alice, bob, carol):
    services.follow(follower=alice, followed=bob)
    services.follow(follower=bob, followed=alice)
    services.follow(follower=carol, followed=bob)
    assert services.block(blocker=alice, blocked=bob) is True
    # carol's follow has nothing to do with the pair.
    assert list(Follow.objects.values_list("follower__username", "followed__username")) == [("carol", "bob")]


def test_blocking_twice_stores_one_block(alice, bob):
    services.block(blocker=alice, blocked=bob)
    assert services.block(blocker=alice, blocked=bob) is False
    assert Block.objects.count() == 1


def test_nobody_can_block_themselves(alice):
    assert refusal_of(services.block, blocker=alice, blocked=alice).code == "not_allowed"
    with pytest.raises(IntegrityError), transaction.atomic():
        Block.objects.create(blocker=alice, blocked=alice)


def test_unblocking_lifts_the_block_but_does_not_restore_follows(alice, bob):
    services.follow(follower=bob, followed=alice)
    services.block(blocker=alice, blocked=bob)
    assert services.unblock(blocker=alice, blocked=bob) is True
    assert services.unblock(blocker=alice, blocked=bob) is False
    assert not services.is_blocked_between(alice, bob)
    assert not Follow.objects.exists()


def test_only_the_blocker_can_unblock(alice, bob):
    services.block(blocker=alice, blocked=bob)
    assert services.unblock(blocker=bob, blocked=alice) is False
    assert services.is_blocked_between(alice, bob)


def test_is_blocked_between_sees_both_directions(alice, bob, carol, django_assert_num_queries):
    services.block(blocker=bob, blocked=alice)
    with django_assert_num_queries(1):
        assert services.is_blocked_between(alice, bob)
    assert services.is_blocked_between(bob, alice)
    assert services.is_blocked_between(alice.pk, bob.pk)
    assert not services.is_blocked_between(alice, carol)


def test_blocked_user_ids_lists_blocks_either_way_in_one_query(alice, bob, carol, make_user, django_assert_num_queries):
    dan = make_user("dan")
    services.block(blocker=alice, blocked=bob)
    services.block(blocker=carol, blocked=alice)
    services.block(blocker=bob, blocked=dan)
    with django_assert_num_queries(1):
        assert services.blocked_user_ids(alice) == {bob.pk, carol.pk}
    assert services.blocked_user_ids(dan) == {bob.pk}


def test_ids_blocked_by_lists_only_the_people_one_blocked(alice, bob, carol):
    services.block(blocker=alice, blocked=bob)
    services.block(blocker=carol, blocked=alice)
    assert services.ids_blocked_by(alice) == {bob.pk}
    assert services.ids_blocked_by(bob) == set()


# --- Mutes -------------------------------------------------------------------------------------


def test_muting_is_stored_once_and_undone_idempotently(alice, bob):
    assert services.mute_person(muter=alice, muted=bob) is True
    assert services.mute_person(muter=alice, muted=bob) is False
    assert services.muted_user_ids(alice) == {bob.pk}
    assert services.muted_user_ids(bob) == set()
    assert services.unmute_person(muter=alice, muted=bob) is True
    assert services.unmute_person(muter=alice, muted=bob) is False
    assert not PersonMute.objects.exists()


def test_nobody_can_mute_themselves(alice):
    assert refusal_of(services.mute_person, muter=alice, muted=alice).code == "not_allowed"


def test_muting_someone_does_not_stop_their_messages(alice, bob):
    services.mute_person(muter=alice, muted=bob)
    assert services.message_route(sender=bob, recipient=alice, accepted=True) == "inbox"
    services.set_message_policy(user=alice, policy=EVERYONE)
    assert services.message_route(sender=bob, recipient=alice) == "inbox"


def test_muted_and_blocked_ids_work_as_subqueries_inside_other_queries(alice, bob, carol, make_user):
    dan = make_user("dan")
    services.mute_person(muter=alice, muted=bob)
    services.block(blocker=alice, blocked=carol)
    services.mute_person(muter=dan, muted=carol)
    not_muted = User.objects.exclude(pk__in=services.muted_ids_subquery(alice.pk))
    assert set(not_muted.values_list("username", flat=True)) == {"alice", "carol", "dan"}
    blocked = User.objects.filter(pk__in=services.blocked_ids_subquery(alice.pk))
    assert list(blocked.values_list("username", flat=True)) == ["carol"]
    # Correlated, as the inbox writes it: for each person, whether they muted carol.
    muted_carol = Exists(User.objects.filter(pk=carol.pk, pk__in=services.muted_ids_subquery(OuterRef(OuterRef("pk")))))
    answers = dict(User.objects.annotate(muted_carol=muted_carol).values_list("username", "muted_carol"))
    assert answers == {"alice": False, "bob": False, "carol": False, "dan": True}


def test_sender_audience_says_who_blocked_and_who_muted_the_sender_in_one_query(
    alice, bob, carol, make_user, django_assert_num_queries
):
    dan, erin = make_user("dan"), make_user("erin")
    services.block(blocker=bob, blocked=alice)
    services.mute_person(muter=carol, muted=alice)
    # Both blocked and muted: blocked wins, nothing reaches them at all.
    services.block(blocker=dan, blocked=alice)
    services.mute_person(muter=dan, muted=alice)
    # Someone outside the conversation who muted alice is none of this message's business.
    outsider = make_user("frank")
    services.mute_person(muter=outsider, muted=alice)
    with django_assert_num_queries(1):
        audience = services.sender_audience(sender=alice, recipient_ids=[bob.pk, carol.pk, dan.pk, erin.pk])
    assert audience.hidden == {bob.pk, dan.pk}
    assert audience.quiet == {carol.pk}


def test_a_block_by_the_sender_hides_nothing_from_the_blocked_person(alice, bob):
    # In a shared group, only the blocker stops seeing the other; the blocked person learns nothing.
    services.block(blocker=alice, blocked=bob)
    assert services.sender_audience(sender=alice, recipient_ids=[bob.pk]).hidden == frozenset()


def test_sender_audience_of_nobody_asks_nothing(alice, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert services.sender_audience(sender=alice, recipient_ids=[]).hidden == frozenset()


# --- Who can message whom ----------------------------------------------------------------------

# (policy, the recipient follows the sender) -> route, without any block
POLICY_MATRIX = [
    (EVERYONE, False, "inbox"),
    (EVERYONE, True, "inbox"),
    (REQUESTS, False, "request"),
    (REQUESTS, True, "inbox"),
    (FOLLOWED, False, None),
    (FOLLOWED, True, "inbox"),
]


@pytest.mark.parametrize("policy, follows, expected", POLICY_MATRIX)
@pytest.mark.parametrize("block", [None, "recipient blocked sender", "sender blocked recipient"])
def test_message_route_follows_the_policy_matrix(alice, bob, policy, follows, expected, block):
    services.set_message_policy(user=bob, policy=policy)
    if follows:
        services.follow(follower=bob, followed=alice)
    if block == "recipient blocked sender":
        services.block(blocker=bob, blocked=alice)
    elif block == "sender blocked recipient":
        services.block(blocker=alice, blocked=bob)
    if block or expected is None:
        refusal = refusal_of(services.message_route, sender=alice, recipient=bob)
        assert (refusal.code, refusal.detail) == ("cannot_message", "You can't message this person")
        assert refusal.http_status == 403
    else:
        assert services.message_route(sender=alice, recipient=bob) == expected


def test_the_only_followed_refusal_reads_exactly_like_a_block(alice, bob, carol, make_user):
    dan = make_user("dan")
    services.set_message_policy(user=bob, policy=FOLLOWED)
    by_policy = refusal_of(services.message_route, sender=alice, recipient=bob)
    services.block(blocker=carol, blocked=alice)
    by_block = refusal_of(services.message_route, sender=alice, recipient=carol)
    services.block(blocker=alice, blocked=dan)
    by_own_block = refusal_of(services.message_route, sender=alice, recipient=dan)
    assert (by_policy.code, by_policy.detail) == (by_block.code, by_block.detail) == (by_own_block.code, by_own_block.detail)
    assert str(by_policy) == str(by_block)


def test_the_default_policy_sends_strangers_to_requests(alice, bob):
    assert services.get_profile(bob).message_policy == REQUESTS
    assert services.message_route(sender=alice, recipient=bob) == "request"


def test_a_recipient_without_a_profile_has_the_default_policy(alice, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "x-long-password")
    assert services.message_route(sender=alice, recipient=admin) == "request"


def test_following_the_recipient_does_not_open_their_inbox(alice, bob):
    # Only the recipient's own follows count: following bob gives alice nothing.
    services.follow(follower=alice, followed=bob)
    assert services.message_route(sender=alice, recipient=bob) == "request"


def test_an_accepted_conversation_reaches_the_inbox_whatever_the_policy(alice, bob):
    services.set_message_policy(user=bob, policy=FOLLOWED)
    assert services.message_route(sender=alice, recipient=bob, accepted=True) == "inbox"


def test_an_accepted_conversation_is_still_closed_by_a_block_either_way(alice, bob):
    services.block(blocker=alice, blocked=bob)
    assert refusal_of(services.message_route, sender=alice, recipient=bob, accepted=True).code == "cannot_message"
    assert refusal_of(services.message_route, sender=bob, recipient=alice, accepted=True).code == "cannot_message"


def test_a_policy_change_applies_to_the_next_message(alice, bob):
    assert services.message_route(sender=alice, recipient=bob) == "request"
    services.set_message_policy(user=bob, policy=EVERYONE)
    assert services.message_route(sender=alice, recipient=bob) == "inbox"


def test_an_unknown_policy_is_refused_and_nothing_changes(bob):
    assert refusal_of(services.set_message_policy, user=bob, policy="friends").code == "bad_request"
    assert services.get_profile(bob).message_policy == REQUESTS


# --- Message routes for a whole group ----------------------------------------------------------


def test_group_routes_give_each_recipient_their_own_route(alice, bob, carol, make_user):
    dan = make_user("dan")
    services.set_message_policy(user=bob, policy=EVERYONE)
    services.follow(follower=dan, followed=alice)
    routes = services.message_routes(sender=alice, recipients=[bob, carol, dan])
    assert routes == {bob.pk: "inbox", carol.pk: "request", dan.pk: "inbox"}


def test_one_refused_recipient_refuses_the_whole_group_and_says_who(alice, bob, carol, make_user):
    dan = make_user("dan")
    services.block(blocker=carol, blocked=alice)
    services.set_message_policy(user=dan, policy=FOLLOWED)
    refusal = refusal_of(services.message_routes, sender=alice, recipients=[bob, carol, dan])
    assert refusal.code == "cannot_message"
    # The first refused in the order given; the words name the person, never the reason.
    assert refusal.detail == "You can't message this person: @carol"
    assert refusal.user_id == carol.pk
    refusal = refusal_of(services.message_routes, sender=alice, recipients=[dan, bob])
    assert refusal.detail == "You can't message this person: @dan"


def test_group_routes_accept_ids_and_ignore_repeats_and_the_sender(alice, bob, carol):
    routes = services.message_routes(sender=alice, recipients=[bob.pk, bob, alice, carol.pk])
    assert routes == {bob.pk: "request", alice.pk: "inbox", carol.pk: "request"}


def test_group_routes_for_one_recipient_use_the_plain_neutral_words(alice, bob):
    services.block(blocker=bob, blocked=alice)
    assert refusal_of(services.message_routes, sender=alice, recipients=[bob]).detail == "You can't message this person"


def test_group_routes_only_spare_the_accepted_ones(alice, bob, carol):
    services.set_message_policy(user=bob, policy=FOLLOWED)
    services.set_message_policy(user=carol, policy=FOLLOWED)
    refusal = refusal_of(services.message_routes, sender=alice, recipients=[bob, carol], accepted=[bob.pk])
    assert refusal.user_id == carol.pk


def test_an_unknown_recipient_id_is_refused(alice):
    assert refusal_of(services.message_routes, sender=alice, recipients=[10**9]).code == "cannot_message"


@pytest.mark.parametrize("size", [2, 20])
def test_group_routes_take_one_query_whatever_the_number_of_recipients(alice, make_user, size, django_assert_num_queries):
    people = [make_user(f"person{index}") for index in range(size)]
    for index, person in enumerate(people):
        if index % 2:
            services.follow(follower=person, followed=alice)
        if index % 3 == 0:
            services.set_message_policy(user=person, policy=EVERYONE)
    with django_assert_num_queries(1):
        routes = services.message_routes(sender=alice, recipients=people)
    assert len(routes) == size
    assert set(routes.values()) <= {"inbox", "request"}


# --- Connection reasons (the Requests tab) -----------------------------------------------------


def test_connection_reason_says_how_two_people_are_connected(alice, bob, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert services.connection_reason(viewer=alice, other=bob) == "No connection"
    services.follow(follower=bob, followed=alice)
    assert services.connection_reason(viewer=alice, other=bob) == "Follows you"
    assert services.connection_reason(viewer=bob, other=alice) == "You follow them"
    services.follow(follower=alice, followed=bob)
    assert services.connection_reason(viewer=alice, other=bob) == "You follow each other"


def test_connection_reasons_for_many_people_take_one_query(alice, make_user, django_assert_num_queries):
    people = [make_user(f"person{index}") for index in range(12)]
    for person in people[:4]:
        services.follow(follower=person, followed=alice)
    with django_assert_num_queries(1):
        reasons = services.connection_reasons(viewer=alice, others=people)
    assert [reasons[person.pk] for person in people[3:5]] == ["Follows you", "No connection"]


# --- Profile facts -----------------------------------------------------------------------------


def test_relationship_counts_followers_and_following_of_active_accounts(alice, bob, carol, make_user, django_assert_num_queries):
    dan = make_user("dan")
    for person in (bob, carol, dan):
        services.follow(follower=person, followed=alice)
    services.follow(follower=alice, followed=bob)
    dan.is_active = False
    dan.save(update_fields=["is_active"])
    with django_assert_num_queries(1):
        facts = services.relationship(viewer=bob, person=alice)
    assert (facts.followers, facts.following) == (2, 1)
    assert facts.viewer_follows and facts.follows_viewer
    assert not (facts.blocked or facts.viewer_muted)


def test_relationship_shows_blocks_and_mutes_only_from_the_viewers_side(alice, bob):
    services.block(blocker=alice, blocked=bob)
    services.mute_person(muter=alice, muted=bob)
    mine = services.relationship(viewer=alice, person=bob)
    assert mine.viewer_blocked and mine.viewer_muted and not mine.blocked_viewer
    theirs = services.relationship(viewer=bob, person=alice)
    assert theirs.blocked_viewer and theirs.blocked
    # A mute is silent: nothing about it reaches the muted person.
    assert not theirs.viewer_muted and not theirs.viewer_blocked


def test_relationship_for_a_logged_out_visitor_has_counts_only(alice, bob):
    services.follow(follower=bob, followed=alice)
    facts = services.relationship(viewer=AnonymousUser(), person=alice)
    assert facts.followers == 1 and not facts.viewer_follows


def test_follow_lists_are_newest_first_and_leave_out_deactivated_accounts(alice, bob, carol, make_user):
    dan = make_user("dan")
    for person in (bob, carol, dan):
        services.follow(follower=person, followed=alice)
    dan.is_active = False
    dan.save(update_fields=["is_active"])
    followers = services.follow_list(person=alice, direction="followers", viewer=bob)
    assert [link.follower.username for link in followers] == ["carol", "bob"]
    assert [link.followed.username for link in services.follow_list(person=bob, direction="following")] == ["alice"]
    assert refusal_of(services.follow_list, person=alice, direction="friends").code == "bad_request"
