"""The reference rulesets (YAML), shipped as package data of ``xinzhi.rulesets``."""
