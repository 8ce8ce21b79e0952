"""The dispatch service: domain model, feasibility, insertion, optimisation, and its shells."""
