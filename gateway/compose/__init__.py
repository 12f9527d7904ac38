"""What the JSON API (gateway/api) and the pages (gateway/pages) both need, written once.

Plain functions over the services' RPC proxies, which the caller passes in: the dossier a person may
see, the composed view beside it (fees, certificate), the role a person acts in and whose turn it is,
evidence uploads and downloads, fee notifications and certificate checks. Nothing here is an HTTP
route: api and pages each call these, and neither imports the other.
"""
