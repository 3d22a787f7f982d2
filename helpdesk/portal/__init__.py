"""The customer web portal (Starlette, server-rendered Jinja2, no JavaScript): track a
request, its status page and reply box, the request form, surveys. Rules live in
services/customers/; this package parses requests and renders pages."""
