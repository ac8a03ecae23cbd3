"""Tousu public contracts: the CloudEvents envelope, event models, topology names and the policy schema.

Depends on pydantic only; never on tousu.kit or a service.
"""
