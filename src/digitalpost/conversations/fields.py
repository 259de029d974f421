"""How an inquiry carries what the citizen entered: MeMo AdditionalContentData rows of our own data types.

The web mailbox writes them (services/inquiries.py); the portal shows them and the secure-address channel puts
them in the metadata file, all through `entered_fields`. Not for: MeMo itself (protocols/memo).
"""

from __future__ import annotations

from digitalpost.protocols import memo

TOPIC_DATA_TYPE = "digitalpost:topic"
METADATA_DATA_TYPE = "digitalpost:metadata"


def entered_fields(letter: memo.Message) -> list[tuple[str, str]]:
    """The fields the citizen filled in, as (label, value), in the order written (the topic is the thread's)."""
    return header_fields(letter.header)


def header_fields(header: memo.MessageHeader) -> list[tuple[str, str]]:
    """`entered_fields` from the MeMo's header alone (memo.parse_header)."""
    content = header.content_data.additional_content_data if header.content_data else ()
    return [(c.content_data_name, c.content_data_value) for c in content if c.content_data_type == METADATA_DATA_TYPE]
