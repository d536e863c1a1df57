"""Bar charts for the insights page, as numbers for an SVG the template draws (no chart library).

Each chart comes with the rows of the table that repeats it for screen readers.
"""

WIDTH, HEIGHT, GAP = 600, 160, 2


def daily_bars(daily):
    """Messages received and sent per day: two bars a day, scaled to the busiest day."""
    tallest = max([max(received, sent) for _day, received, sent in daily] + [1])
    slot = WIDTH / max(len(daily), 1)
    bar = max(slot / 2 - GAP, 1)
    bars = []
    for index, (day, received, sent) in enumerate(daily):
        for offset, (count, kind) in enumerate(((received, "received"), (sent, "sent"))):
            height = HEIGHT * count / tallest
            bars.append({"x": round(index * slot + offset * (bar + GAP / 2), 1), "y": round(HEIGHT - height, 1),
                         "width": round(bar, 1), "height": round(height, 1), "kind": kind,
                         "title": f"{day:%d %b}: {count} {kind}"})
    return {"width": WIDTH, "height": HEIGHT, "bars": bars,
            "rows": [(f"{day:%a %d %b}", received, sent) for day, received, sent in daily]}


def distribution_bars(distribution):
    """Feedback answers per star rating, one horizontal bar each."""
    most = max([count for _score, count in distribution] + [1])
    row_height = 24
    bars = []
    for index, (score, count) in enumerate(distribution):
        bars.append({"y": index * row_height, "width": round(440 * count / most, 1), "score": score, "count": count,
                     "label_y": index * row_height + 16, "bar_y": index * row_height + 4,
                     "count_x": round(440 * count / most + 68, 1)})
    return {"width": 560, "height": row_height * len(distribution), "bars": bars}
