"""Disclosure control: primary and secondary suppression over a whole publication, the attacker
that audits it, the release log, and the gate through which every published number passes."""
