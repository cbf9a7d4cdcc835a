"""handyman_falcon: the HTTP plumbing both Falcon apps share, the API (`handyman_http`) and the
runner server (`handyman_runner.server`): bounded request bodies and bearer tokens."""
