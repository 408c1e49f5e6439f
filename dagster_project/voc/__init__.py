"""Voice of the customer: every distinct survey comment scored once for language, sentiment and
topics, with the personal data inside it (emails, phone numbers) redacted.

Parts: text.py (redaction, normalization, the token table every scorer shares), language.py,
sentiment.py, topics.py (the CX taxonomy of dbt/seeds/voc_topics.csv), scoring.py (the one
entry point, `score_comments`), cache.py (the scores table keyed by the text's hash) and
assets.py (the Dagster asset between raw.survey_responses and the dbt build). How each choice
was made, and how accurate it is, is in docs/voice_of_customer.md.
"""
