"""The words a match is explained by are stemmed as each database's index holds them."""

from sqlalchemy import text
from sqlmodel import Session

from app.core.fulltext import STOP_WORDS, marked, stems, words_of
from tests import factories
from tests.triage.labelled_set import PHRASES

# Every word of the labelled set's phrases (the words suggestions are explained by), and
# words the stemmers are known to treat apart.
WORDS = sorted(
    {
        word
        for phrases in PHRASES.values()
        for phrase in phrases.asks + phrases.reasons
        for word in words_of(phrase.format(customer="Acme"))
    }
    | {"generously", "technology", "technological", "visibly", "paste", "naïve", "café"}
    | {"us", "x1", "2026", "\ufb01le", "\uff57\uff49\uff44\uff45"}  # a ligature, full width
)


def terms_of_the_index(engine, backend, request_id):
    """What the requests' own index holds of that request."""
    with engine.connect() as connection:
        if backend == "postgresql":
            found = connection.execute(
                text("SELECT tsvector_to_array(search_vector) FROM request WHERE id = :id"),
                {"id": request_id},
            )
            return set(found.scalar())
        connection.exec_driver_sql(
            "CREATE VIRTUAL TABLE temp.terms USING fts5vocab(main, request_search, instance)"
        )
        found = connection.exec_driver_sql(
            "SELECT term FROM temp.terms WHERE doc = ?", (request_id,)
        )
        return {term for (term,) in found}


def test_words_are_stemmed_as_the_index_holds_them(client, engine, backend):
    assert len(WORDS) > 150
    request = factories.request(client, title="Words", description=" ".join(WORDS))
    in_the_index = terms_of_the_index(engine, backend, request["id"])

    with Session(engine) as session:
        stemmed = stems(set(WORDS), session=session)

    assert {word: stemmed[word] for word in WORDS if stemmed[word] not in in_the_index} == {}


def test_stop_words_are_left_out_of_what_is_asked():
    assert words_of("The exports of THE finance team, and the CRM") == [
        "exports", "finance", "team", "crm",
    ]  # fmt: skip
    assert {"the", "and", "of", "for"} <= STOP_WORDS


def test_a_snippet_marks_matches_in_pairs_and_escapes_the_rest():
    assert marked("a \ue000b\ue001 <c> & \ue000d\ue001") == (
        "a <mark>b</mark> &lt;c&gt; &amp; <mark>d</mark>"
    )
    # Markers stored in the text itself open nothing they do not close.
    assert marked("x \ue001 y \ue000") == "x  y "
