"""The tiny models' one weight init: seeded random normal matrices, unit norms, zero biases,
optionally attention that starts by copying what it reads.

It does not depend on transformers' own init details, so a build gives the same bytes as long
as the parameter names and shapes stay the same.
"""

from __future__ import annotations


def new_model(config, *, seed: int, std: float, copy_init: float = 0.0):
    """A ``Qwen2ForCausalLM`` of ``config`` with every parameter drawn afresh from ``seed``.

    Parameters are visited in name order: ``*norm.weight`` is 1, ``*.bias`` 0, every other
    matrix normal with standard deviation ``std`` (one generator seeded with ``seed``). With
    ``copy_init`` > 0, each layer's value projection gets the identity and its output projection
    ``copy_init`` times the identity added (both must be square: as many key/value heads as
    heads, heads x head_dim = hidden), so attention starts by copying the tokens it reads.
    """
    import torch
    from transformers import Qwen2ForCausalLM

    torch.manual_seed(seed)
    model = Qwen2ForCausalLM(config)
    with torch.no_grad():
        gen = torch.Generator().manual_seed(seed)
        for name, p in sorted(model.named_parameters()):
            if name.endswith("norm.weight"):
                p.fill_(1.0)
            elif name.endswith(".bias"):
                p.zero_()
            else:
                p.copy_(torch.randn(p.shape, generator=gen) * std)
        if copy_init:
            eye = torch.eye(config.hidden_size)
            for layer in model.model.layers:
                layer.self_attn.v_proj.weight.add_(eye)
                layer.self_attn.o_proj.weight.add_(copy_init * eye)
    return model
