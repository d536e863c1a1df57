from .services import CardVisibility


def cards(request):
    """card_visibility for the post and story card partials (templates/cards/): whether this viewer
    may open what a card in a conversation quotes. Costs nothing until a card asks."""
    user = getattr(request, "user", None)
    if user is None:
        return {}
    return {"card_visibility": CardVisibility(user)}
