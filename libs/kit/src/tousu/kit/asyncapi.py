"""AsyncAPI 3.0 documents generated from a service's spec and the contracts (served at /asyncapi, kept in docs/)."""

from typing import Any

from tousu.contracts import topology as names
from tousu.contracts.events import EVENT_TYPES, PRODUCERS
from tousu.kit.runtime import ServiceSpec


def asyncapi_document(spec: ServiceSpec) -> dict[str, Any]:
    consumed = sorted(EVENT_TYPES) if "*" in spec.handlers else sorted(t for t in spec.handlers if t in EVENT_TYPES)
    produced = sorted(t for t, producer in PRODUCERS.items() if producer == spec.name)
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for type_ in sorted(set(consumed) | set(produced)):
        key = type_.replace(".", "_")
        messages[key] = {
            "name": type_,
            "contentType": "application/cloudevents+json",
            "summary": f"CloudEvent of type {type_}, produced by {PRODUCERS[type_]}",
            "payload": EVENT_TYPES[type_].model_json_schema(mode="serialization"),
        }
        channels[key] = {
            "address": f"{type_}.{{tenant}}",
            "parameters": {"tenant": {"description": "the tenant of the organisation the complaint is against"}},
            "bindings": {"amqp": {"is": "routingKey", "exchange": {"name": names.EVENTS_EXCHANGE, "type": "topic"}}},
            "messages": {key: {"$ref": f"#/components/messages/{key}"}},
        }
        if type_ in produced:
            operations[f"publish_{key}"] = {"action": "send", "channel": {"$ref": f"#/channels/{key}"}}
        if type_ in consumed:
            operations[f"consume_{key}"] = {"action": "receive", "channel": {"$ref": f"#/channels/{key}"}}
    for key in spec.ingress:
        ckey = "ingress_" + key.replace(".", "_")
        channels[ckey] = {
            "address": key,
            "bindings": {"amqp": {"is": "routingKey", "exchange": {"name": names.INGRESS_EXCHANGE, "type": "topic"}}},
            "description": f"commands from other systems, queue {names.ingress_queue(key)} (CONTRACT §9)",
        }
        operations[f"consume_{ckey}"] = {"action": "receive", "channel": {"$ref": f"#/channels/{ckey}"}}
    return {
        "asyncapi": "3.0.0",
        "info": {"title": f"Tousu {spec.name}", "version": "0.1.0"},
        "defaultContentType": "application/cloudevents+json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }
