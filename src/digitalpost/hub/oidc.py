"""OpenID Connect relying party, shared by every sign-in that goes to an outside identity provider.

The protocol work is Authlib's (its Django client): discovery, Authorization Code with PKCE (S256), `state` and
`nonce` kept in the session and used once, the ID token's signature checked against the provider's JWKS, and
its `iss`, `aud`, `exp`, `iat` and `nonce` checked with a bounded clock skew. This module only names the
provider, turns Authlib's and joserfc's exceptions into catalogue codes (one page per kind of refusal), and
builds the RP-initiated log-out address. What the claims mean (CPR, CVR, level of assurance) is the caller's.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import requests
from authlib.integrations.base_client.errors import MismatchingStateError, OAuthError
from authlib.integrations.django_client import OAuth
from django.http import HttpRequest, HttpResponseRedirect
from joserfc.errors import BadSignatureError, ClaimError, ExpiredTokenError, JoseError

from digitalpost.core.errors import DigitalPostError, ErrorCode

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OidcProvider:
    """One identity provider as this hub is registered with it."""

    name: str  # a short label, part of the session keys Authlib keeps the state under
    discovery_url: str  # …/.well-known/openid-configuration
    client_id: str
    client_secret: str
    scopes: str = "openid"
    clock_skew_seconds: int = 60


@lru_cache(maxsize=64)
def _client(provider: OidcProvider) -> Any:
    """Authlib's client for one provider; cached so discovery and the JWKS are fetched once, not per sign-in."""
    registry = OAuth()
    return registry.register(
        name=provider.name, client_id=provider.client_id, client_secret=provider.client_secret,
        server_metadata_url=provider.discovery_url,
        client_kwargs={"scope": provider.scopes, "code_challenge_method": "S256",
                       "token_endpoint_auth_method": "client_secret_basic", "timeout": 10},
    )


def begin_sign_in(request: HttpRequest, provider: OidcProvider, redirect_uri: str) -> HttpResponseRedirect:
    """Send the browser to the provider; state, nonce and the PKCE verifier wait in this session."""
    try:
        return _client(provider).authorize_redirect(request, redirect_uri)  # type: ignore[no-any-return]
    except (requests.RequestException, ValueError, RuntimeError) as exc:
        log.warning("OpenID provider %s unreachable at sign-in: %s", provider.name, type(exc).__name__)
        _client.cache_clear()  # discovery may have failed: ask again next time
        raise DigitalPostError(ErrorCode.SIGNIN_PROVIDER_UNAVAILABLE) from None


_CLAIM_CODES = {"aud": ErrorCode.SIGNIN_AUDIENCE_WRONG, "azp": ErrorCode.SIGNIN_AUDIENCE_WRONG,
                "iss": ErrorCode.SIGNIN_ISSUER_WRONG, "nonce": ErrorCode.SIGNIN_NONCE_WRONG,
                "exp": ErrorCode.SIGNIN_ID_EXPIRED, "iat": ErrorCode.SIGNIN_ID_EXPIRED}


def refusal_for(exc: Exception) -> ErrorCode:
    """The catalogue code for whatever stopped a sign-in (never the token's content: it may hold a CPR)."""
    if isinstance(exc, MismatchingStateError):
        return ErrorCode.SIGNIN_STATE_INVALID
    if isinstance(exc, OAuthError):
        return ErrorCode.SIGNIN_CANCELLED if exc.error == "access_denied" else ErrorCode.SIGNIN_PROVIDER_UNAVAILABLE
    if isinstance(exc, BadSignatureError):
        return ErrorCode.SIGNIN_SIGNATURE_INVALID
    if isinstance(exc, ExpiredTokenError):
        return ErrorCode.SIGNIN_ID_EXPIRED
    if isinstance(exc, ClaimError):
        return _CLAIM_CODES.get(exc.claim, ErrorCode.SIGNIN_ID_INVALID)
    if isinstance(exc, JoseError | ValueError):
        return ErrorCode.SIGNIN_ID_INVALID
    if isinstance(exc, requests.RequestException):
        return ErrorCode.SIGNIN_PROVIDER_UNAVAILABLE
    raise exc


def finish_sign_in(request: HttpRequest, provider: OidcProvider) -> Mapping[str, Any]:
    """Check the provider's answer and return the ID token's verified claims. Raises DigitalPostError with the
    refusal's own code; the state is used up either way."""
    client = _client(provider)
    try:
        metadata = client.load_server_metadata()
        token = client.authorize_access_token(
            request, leeway=provider.clock_skew_seconds,
            claims_options={"iss": {"essential": True, "values": [metadata["issuer"]]},
                            "exp": {"essential": True}, "iat": {"essential": True}},
        )
    except Exception as exc:
        code = refusal_for(exc)
        log.warning("Sign-in through %s refused: %s (%s)", provider.name, code, type(exc).__name__)
        raise DigitalPostError(code) from None
    claims = token.get("userinfo")
    if not claims:  # a provider that answered without an ID token is no OpenID provider
        log.warning("Sign-in through %s refused: no ID token", provider.name)
        raise DigitalPostError(ErrorCode.SIGNIN_ID_INVALID)
    return dict(claims)


def logout_url(provider: OidcProvider, *, post_logout_redirect_uri: str) -> str | None:
    """The provider's end-session address (RP-initiated log-out), or None when the provider has none.

    Named by client_id, without an id_token_hint: NemLog-in's ID token carries the CPR number, and a URL must
    never carry one (it lands in the provider's and proxies' access logs)."""
    client = _client(provider)
    try:
        if not client.load_server_metadata().get("end_session_endpoint"):
            return None
        result = client.create_logout_url(post_logout_redirect_uri=post_logout_redirect_uri,
                                          client_id=provider.client_id)
    except (requests.RequestException, ValueError, RuntimeError):
        return None
    return str(result["url"])
