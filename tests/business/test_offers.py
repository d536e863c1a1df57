import pytest
from django.db.models import Count

from accounts import services as account_services
from accounts.models import Follow, Profile
from business import offers, services
from business.models import Offer, OfferOptOut, OfferRecipient
from common.errors import Refused
from inbox import services as inbox_services
from inbox.models import Message


@pytest.fixture(autouse=True)
def no_rate_limits(settings):
    settings.OFFER_RATE_PER_MINUTE = 0
    settings.SEND_RATE_PER_MINUTE = 0


@pytest.fixture
def fans(brand, make_user):
    people = [make_user(name, display_name=f"{name.title()} Fan") for name in ("ann", "ben", "cat", "dov")]
    for person in people:
        account_services.follow(follower=person, followed=brand)
    return people


def offer_messages(offer):
    return Message.objects.filter(card_key=f"offer:{offer.pk}")


def create(brand, **kwargs):
    kwargs.setdefault("text", "Hi {first_name|there}, 20% off this week!")
    kwargs.setdefault("audience", Offer.Audience.FOLLOWERS)
    return offers.create_offer(business=brand, **kwargs)


def test_each_follower_gets_a_personal_one_to_one_message(brand, fans, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        offer = create(brand)
    # The job was enqueued after the commit, for the database worker.
    from django_tasks_db.models import DBTaskResult

    assert DBTaskResult.objects.filter(args_kwargs__args=[offer.pk]).count() == 1
    assert offers.deliver_offer(offer.pk) == "done"
    sent = list(offer_messages(offer).select_related("thread").order_by("pk"))
    assert [message.body for message in sent] == [f"Hi {name}, 20% off this week!" for name in ("Ann", "Ben", "Cat", "Dov")]
    assert {message.thread.kind for message in sent} == {"direct"}
    assert len({message.thread_id for message in sent}) == 4


def test_offers_go_to_followers_only(brand, fans, carol):
    with pytest.raises(Refused) as refused:
        create(brand, audience=Offer.Audience.PICKED, usernames="ann, carol")
    assert refused.value.code == "not_a_follower" and "@carol" in refused.value.detail
    assert not Offer.objects.exists()
    offer = create(brand, audience=Offer.Audience.PICKED, usernames="ann ben")
    offers.deliver_offer(offer.pk)
    assert offer_messages(offer).count() == 2


def test_a_personal_account_cannot_send_offers(alice):
    with pytest.raises(Refused):
        offers.create_offer(business=alice, text="Hi", audience=Offer.Audience.FOLLOWERS)


def test_followers_with_a_label(brand, fans, talk):
    vip = services.create_label(owner=brand, name="VIP", colour="green")
    services.set_conversation_labels(owner=brand, thread_id=talk(fans[1], brand).pk, label_ids=[vip.pk])
    offer = create(brand, audience=Offer.Audience.LABEL, label_id=vip.pk)
    offers.deliver_offer(offer.pk)
    assert list(OfferRecipient.objects.filter(offer=offer, status="sent").values_list("person__username", flat=True)) == ["ben"]
    assert offer_messages(offer).count() == 1


def test_blocks_mutes_and_unfollows_are_respected(brand, fans):
    ann, ben, cat, dov = fans
    offer = create(brand)
    account_services.block(blocker=ann, blocked=brand)
    account_services.block(blocker=brand, blocked=ben)
    account_services.mute_person(muter=cat, muted=brand)
    Follow.objects.filter(follower=dov).delete()
    offers.deliver_offer(offer.pk)
    reasons = dict(OfferRecipient.objects.filter(offer=offer).values_list("person__username", "reason"))
    assert reasons == {"ann": "Blocked", "ben": "Blocked", "cat": "Muted you", "dov": "No longer follows you"}
    assert not offer_messages(offer).exists()


def test_who_can_message_me_is_the_send_paths_rule(brand, fans, monkeypatch):
    # A follower with "Only people I follow" follows the brand, so the offer reaches them; should
    # the route refuse anyway (a policy changed between the check and the send), they are skipped.
    Profile.objects.filter(user=fans[1]).update(message_policy=Profile.MessagePolicy.FOLLOWED)
    offer = create(brand)
    real_start = inbox_services.start_thread

    def refuse_ben(*, creator, recipients, **kwargs):
        if recipients[0].username == "ben":
            raise Refused("cannot_message", "ben only takes messages from people he follows")
        return real_start(creator=creator, recipients=recipients, **kwargs)

    monkeypatch.setattr(inbox_services, "start_thread", refuse_ben)
    offers.deliver_offer(offer.pk)
    reasons = dict(OfferRecipient.objects.filter(offer=offer).values_list("person__username", "reason"))
    assert reasons["ben"] == "Doesn't take messages from you"
    assert offer_messages(offer).count() == 3


def test_stop_offers_button_and_a_stop_reply_stop_the_next_offers(client, brand, fans, django_capture_on_commit_callbacks):
    ann, ben = fans[0], fans[1]
    first = create(brand)
    offers.deliver_offer(first.pk)
    client.force_login(ann)
    thread_id = offer_messages(first).get(thread__participants__user=ann).thread_id
    html = client.get(f"/inbox/{thread_id}/").content.decode()
    assert ">Stop offers</button>" in html
    client.post(f"/business/offers/{first.pk}/stop/", {"thread": thread_id})
    ben_thread = offer_messages(first).get(thread__participants__user=ben).thread_id
    with django_capture_on_commit_callbacks(execute=True):
        inbox_services.send_message(sender=ben, thread=ben_thread, body="stop")
    assert set(OfferOptOut.objects.values_list("person__username", flat=True)) == {"ann", "ben"}
    second = create(brand)
    offers.deliver_offer(second.pk)
    assert offer_messages(second).count() == 2
    progress = offers.offer_progress(business=brand, offer_id=first.pk)
    assert progress["counts"]["replied"] == 1


def test_the_offer_page_shows_progress_and_reasons(client, brand, fans, django_assert_num_queries):
    offer = create(brand)
    account_services.block(blocker=fans[0], blocked=brand)
    offers.deliver_offer(offer.pk)
    client.force_login(brand)
    html = client.get(f"/business/offers/{offer.pk}/").content.decode()
    assert 'data-count="sent">3<' in html and "Blocked: 1" in html
    client.force_login(fans[1])
    assert client.get(f"/business/offers/{offer.pk}/").status_code == 404


def test_an_offer_to_a_thousand_followers_killed_half_way_resumes_without_second_copies(brand, make_user, monkeypatch):
    from accounts.models import User

    people = User.objects.bulk_create([User(username=f"f{n}", email=f"f{n}@example.com") for n in range(1000)])
    Profile.objects.bulk_create([Profile(user=person, message_policy=Profile.MessagePolicy.EVERYONE) for person in people])
    Follow.objects.bulk_create([Follow(follower=person, followed=brand) for person in people])
    offer = create(brand, text="Hello {username}")

    real_send = inbox_services.send_message
    calls = {"count": 0}

    def dies_after_500(**kwargs):
        message = real_send(**kwargs)
        calls["count"] += 1
        if calls["count"] == 500:
            # The worker dies after the 500th message is stored, before its row is marked sent.
            raise SystemExit("worker killed")
        return message

    monkeypatch.setattr(inbox_services, "send_message", dies_after_500)
    with pytest.raises(SystemExit):
        offers.deliver_offer(offer.pk)
    assert OfferRecipient.objects.filter(offer=offer, status="sent").count() == 499
    assert offer_messages(offer).count() == 500

    monkeypatch.setattr(inbox_services, "send_message", real_send)
    assert offers.deliver_offer(offer.pk) == "done"
    assert offers.deliver_offer(offer.pk) == "done"  # and a third run changes nothing
    per_thread = offer_messages(offer).values("thread_id").annotate(copies=Count("pk"))
    assert len(per_thread) == 1000
    assert {row["copies"] for row in per_thread} == {1}
    assert OfferRecipient.objects.filter(offer=offer, status="sent").count() == 1000


def test_the_job_pauses_at_the_rate_limit_and_enqueues_itself_again(brand, fans, settings):
    from django_tasks_db.models import DBTaskResult

    settings.OFFER_RATE_PER_MINUTE = 3
    offer = create(brand)
    assert offers.deliver_offer(offer.pk) == "paused"
    assert offer_messages(offer).count() == 3
    later = DBTaskResult.objects.filter(args_kwargs__args=[offer.pk]).exclude(run_after__isnull=True)
    assert later.count() == 1
    assert offers.deliver_offer(offer.pk) == "done"
    assert offer_messages(offer).count() == 4


def test_the_offers_page_composes_and_refuses_non_followers(client, brand, fans, carol):
    client.force_login(brand)
    response = client.post("/business/offers/", {"text": "Hi {first_name}", "audience": "picked", "usernames": "carol"})
    assert response.status_code == 400 and "@carol" in response.content.decode()
    response = client.post("/business/offers/", {"text": "Hi {first_name}", "audience": "followers"})
    assert response.status_code == 302
    assert Offer.objects.count() == 1


def test_resume_offers_enqueues_the_unfinished_ones_again(brand, fans):
    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    unfinished = create(brand)
    finished = create(brand)
    offers.deliver_offer(finished.pk)
    DBTaskResult.objects.all().delete()
    call_command("resume_offers", verbosity=0)
    assert list(DBTaskResult.objects.values_list("args_kwargs__args", flat=True)) == [[unfinished.pk]]


def test_resume_offers_leaves_an_offer_whose_job_still_waits(brand, fans, django_capture_on_commit_callbacks):
    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=True):
        waiting = create(brand)  # its job is queued
        stuck = create(brand)
    # stuck's job was left "running" by a killed worker.
    assert DBTaskResult.objects.filter(args_kwargs__args=[stuck.pk]).update(status="RUNNING") == 1
    call_command("resume_offers", verbosity=0)
    call_command("resume_offers", verbosity=0)  # a second start adds nothing either
    assert DBTaskResult.objects.filter(args_kwargs__args=[waiting.pk]).count() == 1
    assert DBTaskResult.objects.filter(args_kwargs__args=[stuck.pk], status="READY").count() == 1
