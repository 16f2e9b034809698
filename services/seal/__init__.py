"""Electronic seals (电子印章): the platform CA, one seal per unit, visible PDF signatures.

``sign.seal_pdf`` is the only way to apply a seal: it checks the 用印 policy, signs through a
``SealProvider`` (pyHanko today; a GB/T 38540 SM2 provider can be added behind the same
protocol) and records every use and every refusal.
"""
