"""Rasa custom actions, one module per step of the seed's accompaniment.

listening: « écoute et reformulation de la demande »
handover: reaching a human mediator
"""
