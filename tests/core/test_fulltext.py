"""The words a match is explained by are stemmed as each database's index stems them."""

from sqlalchemy import text
from sqlmodel import Session

from app.core.fulltext import STOP_WORDS, stems, words_of
from tests.triage.labelled_set import PHRASES

# Every word of the labelled set's phrases: the words suggestions are explained by.
WORDS = sorted(
    {
        word
        for phrases in PHRASES.values()
        for phrase in phrases.asks + phrases.reasons
        for word in words_of(phrase.format(customer="Acme"))
    }
    | {"generously", "exports", "working", "paste", "us", "naïve", "café"}
)


def stems_in_the_database(engine, backend, words):
    with engine.connect() as connection:
        if backend == "postgresql":
            # What the index holds of each word written alone.
            found = connection.execute(
                text("SELECT w, to_tsvector('english', w) FROM unnest(CAST(:ws AS text[])) w"),
                {"ws": words},
            )
            return {word: vector.split("'")[1] if vector else word for word, vector in found}
        connection.exec_driver_sql(
            "CREATE VIRTUAL TABLE temp.words USING fts5(w, "
            "tokenize='porter unicode61 remove_diacritics 2')"
        )
        connection.exec_driver_sql("CREATE VIRTUAL TABLE temp.terms USING fts5vocab(words, row)")
        stems = {}
        for word in words:
            connection.exec_driver_sql("DELETE FROM temp.words")
            connection.exec_driver_sql("INSERT INTO temp.words(w) VALUES (?)", (word,))
            stems[word] = connection.exec_driver_sql("SELECT term FROM temp.terms").scalar()
        return stems


def test_words_are_stemmed_as_the_databases_index_stems_them(engine, backend):
    assert len(WORDS) > 150
    in_the_database = stems_in_the_database(engine, backend, WORDS)

    with Session(engine) as session:
        stemmed = stems(set(WORDS), session=session)

    differ = {
        word: (stemmed[word], in_the_database[word])
        for word in WORDS
        if stemmed[word] != in_the_database[word]
    }

    assert differ == {}


def test_stop_words_are_left_out_of_what_is_asked():
    assert words_of("The exports of THE finance team, and the CRM") == [
        "exports", "finance", "team", "crm",
    ]  # fmt: skip
    assert {"the", "and", "of", "for"} <= STOP_WORDS
