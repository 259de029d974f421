"""Portal pages, one module per area; each module lists its own urlpatterns (joined in portal.urls)."""
