"""Thin views of the operator's workbench, one module per screen."""
