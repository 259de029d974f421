"""The receiving API: REST pull for an authority's receiver systems, with their own token
(`auth.ReceiverSystemAuth`). Not for: sending (see `api.sender`)."""
