"""The training backend on torchtune: the one module of the project that imports torchtune.

torchtune is in maintenance mode upstream; everything the recipe needs of a training backend
is behind the small surface here, so another backend can replace this module:

* :func:`load_policy` builds a Qwen2-architecture model (any size: the tiny test model, Qwen2.5
  7B/14B/32B) from a Hugging Face checkpoint directory with torchtune's ``qwen2``/``lora_qwen2``
  builders, loads its weights through ``training.FullModelHFCheckpointer`` (torchtune's own
  HF -> torchtune conversion), optionally with LoRA, activation checkpointing and activation
  offloading, sharded with FSDP2 (``training.shard_model``) under ``torch.distributed``;
* :meth:`Policy.hf_state_dict` gives the weights under their Hugging Face names (LoRA merged,
  gathered from all ranks), for vLLM and for checkpoints;
* :meth:`Policy.save_checkpoint` writes a Hugging Face checkpoint directory that vLLM and
  ``transformers`` load (``FullModelHFCheckpointer.save_checkpoint``, plus the tokenizer files).
"""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

#: Files of a Hugging Face model directory that a checkpoint carries along besides the weights.
CHECKPOINT_EXTRAS = (
    "config.json",
    "generation_config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.json",
    "merges.txt",
)
LORA_TARGETS = ("q_proj", "k_proj", "v_proj", "output_proj")


class BackendError(ValueError):
    """A model directory or setting the backend cannot use; the message says which and why."""


@dataclass(frozen=True)
class LoraSettings:
    """LoRA adapters on the attention projections (and the MLP with ``mlp``)."""

    rank: int = 16
    alpha: float = 32.0
    dropout: float = 0.0
    mlp: bool = True


def read_hf_config(model_dir: str | Path) -> dict[str, Any]:
    """``config.json`` of a Qwen2-architecture checkpoint, checked."""
    path = Path(model_dir) / "config.json"
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackendError(f"{model_dir}: no config.json (not a Hugging Face model directory)") from None
    except ValueError as err:
        raise BackendError(f"{path}: not valid JSON: {err}") from None
    if config.get("model_type") != "qwen2":
        raise BackendError(
            f"{model_dir}: model_type {config.get('model_type')!r}; the torchtune backend trains Qwen2-architecture "
            "models (Qwen2, Qwen2.5, the tiny test model)"
        )
    return config


def _weight_files(model_dir: Path) -> list[str]:
    files = sorted(p.name for p in model_dir.glob("*.safetensors"))
    if not files:
        raise BackendError(f"{model_dir}: no *.safetensors weight files")
    return files


def build_model(config: dict[str, Any], max_seq_len: int, lora: LoraSettings | None = None):
    """A torchtune ``TransformerDecoder`` shaped like the HF ``config`` (weights uninitialised)."""
    from torchtune.models.qwen2 import lora_qwen2, qwen2

    shape = dict(
        vocab_size=config["vocab_size"],
        num_layers=config["num_hidden_layers"],
        num_heads=config["num_attention_heads"],
        num_kv_heads=config.get("num_key_value_heads") or config["num_attention_heads"],
        embed_dim=config["hidden_size"],
        intermediate_dim=config["intermediate_size"],
        max_seq_len=max_seq_len,
        norm_eps=config.get("rms_norm_eps", 1e-6),
        rope_base=config.get("rope_theta") or (config.get("rope_parameters") or {}).get("rope_theta", 1_000_000.0),
        tie_word_embeddings=bool(config.get("tie_word_embeddings", False)),
    )
    if lora is None:
        return qwen2(**shape)
    return lora_qwen2(
        lora_attn_modules=list(LORA_TARGETS),
        apply_lora_to_mlp=lora.mlp,
        lora_rank=lora.rank,
        lora_alpha=lora.alpha,
        lora_dropout=lora.dropout,
        **shape,
    )


def only_adapters_trainable(model: torch.nn.Module) -> None:
    """Freeze everything but the LoRA adapters."""
    from torchtune.modules.peft import get_adapter_params, set_trainable_params

    set_trainable_params(model, get_adapter_params(model))


def init_random_weights(model: torch.nn.Module, std: float = 0.02) -> None:
    """Random weights as Hugging Face initialises Qwen2 (normal with std ``initializer_range``, norms 1,
    biases 0); LoRA adapters keep torchtune's init (A random, B zero). torchtune's own init draws the
    embedding table from N(0, 1), which a tied LM head turns into logits of std ~11."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_" in name:
                continue
            if p.dim() == 1:
                p.fill_(0.0 if name.endswith(".bias") else 1.0)
            else:
                p.normal_(0.0, std)


class Policy:
    """The model being trained, on one rank (FSDP2-sharded when ``world_size > 1``)."""

    def __init__(
        self,
        model: torch.nn.Module,
        model_dir: Path,
        config: dict[str, Any],
        lora: LoraSettings | None,
        device: torch.device,
        dtype: torch.dtype,
        rank: int,
        world_size: int,
        offload_activations: bool,
    ):
        self.model, self.model_dir, self.config, self.lora = model, model_dir, config, lora
        self.device, self.dtype, self.rank, self.world_size = device, dtype, rank, world_size
        self._offload = offload_activations
        self._checkpointer: Any = None  # load_policy's, loaded (its weight map); None: random weights
        self._metadata: tempfile.TemporaryDirectory | None = None  # the source's non-weight files

    def trainable_parameters(self) -> list[torch.nn.Parameter]:
        return [p for p in self.model.parameters() if p.requires_grad]

    def forward(self, tokens: torch.Tensor, mask: Any, positions: torch.Tensor) -> torch.Tensor:
        """Logits ``[rows, row_len, vocab]`` of packed rows (``mask``: dense bool or a BlockMask)."""
        context = contextlib.nullcontext()
        if self._offload:
            from torchtune.training import OffloadActivations

            context = OffloadActivations()
        with context:
            return self.model(tokens, mask=mask, input_pos=positions)

    def _full_state_dict(self) -> dict[str, torch.Tensor]:
        """The full torchtune state dict on CPU (on rank 0; empty elsewhere), LoRA merged."""
        if self.world_size > 1:
            from torchtune.training import gather_cpu_state_dict

            state = gather_cpu_state_dict(self.model, self.rank == 0, device=self.device)
        else:
            state = {k: v.detach().to("cpu", copy=True) for k, v in self.model.state_dict().items()}
        if self.lora is not None and state:
            from torchtune.modules.peft import get_merged_lora_ckpt

            state = get_merged_lora_ckpt(state, rank=self.lora.rank, alpha=self.lora.alpha)
        return state

    def hf_state_dict(self) -> dict[str, torch.Tensor]:
        """The weights under their Hugging Face names (rank 0; every rank must call it: it gathers)."""
        from torchtune.models.qwen2._convert_weights import qwen2_tune_to_hf

        state = self._full_state_dict()
        if not state:
            return {}
        c = self.config
        return qwen2_tune_to_hf(
            state,
            num_heads=c["num_attention_heads"],
            num_kv_heads=c.get("num_key_value_heads") or c["num_attention_heads"],
            dim=c["hidden_size"],
            tie_word_embeddings=bool(c.get("tie_word_embeddings", False)),
        )

    def optimizer_state_dict(self, optimizer: torch.optim.Optimizer) -> dict[str, Any]:
        """The optimizer's full state (gathered from the shards onto rank 0; every rank must call it)."""
        if self.world_size > 1:
            from torchtune.training import get_full_optimizer_state_dict

            return get_full_optimizer_state_dict(self.model, optimizer, self.rank == 0, self.device)
        return optimizer.state_dict()

    def load_optimizer_state_dict(self, optimizer: torch.optim.Optimizer, state: dict[str, Any]) -> None:
        """Load a full optimizer state saved by :meth:`optimizer_state_dict` (into the shards)."""
        if self.world_size > 1:
            from torchtune.training import load_from_full_optimizer_state_dict

            load_from_full_optimizer_state_dict(self.model, optimizer, state, self.device)
        else:
            optimizer.load_state_dict(state)

    def save_checkpoint(self, out_dir: str | Path) -> None:
        """Write a Hugging Face checkpoint directory (weights in the model's dtype, config, tokenizer).

        Every rank must call it (the weights are gathered); rank 0 writes. ``out_dir`` must not exist."""
        from torchtune import training

        state = self._full_state_dict()
        if self.rank != 0:
            return
        if self._checkpointer is None or self._metadata is None:
            raise BackendError("this policy was not loaded from a checkpoint (random weights): nothing to save it as")
        out = Path(out_dir)
        source = Path(self._metadata.name)
        staging = Path(tempfile.mkdtemp(prefix=".save-", dir=out.parent))
        try:
            # torchtune 0.6.1 (pinned): save_checkpoint writes under _output_dir/epoch_N and copies the
            # non-weight files of _checkpoint_dir; point both at this save's folders.
            checkpointer = self._checkpointer
            checkpointer._output_dir, checkpointer._checkpoint_dir = staging, source
            with _quiet_torchtune():
                checkpointer.save_checkpoint({training.MODEL_KEY: state}, epoch=0)
            written = staging / "epoch_0"
            for name in CHECKPOINT_EXTRAS:
                if (source / name).is_file() and not (written / name).exists():
                    shutil.copy2(source / name, written / name)
            written.rename(out)
        finally:
            shutil.rmtree(staging, ignore_errors=True)


@contextlib.contextmanager
def _quiet_torchtune() -> Iterator[None]:
    """torchtune's checkpointer logs every load and save at INFO on loggers of its own: hold INFO back."""
    import logging

    previous = logging.root.manager.disable
    logging.disable(logging.INFO)
    try:
        yield
    finally:
        logging.disable(previous)


def load_policy(
    model_dir: str | Path,
    *,
    max_seq_len: int,
    device: torch.device,
    dtype: torch.dtype = torch.float32,
    lora: LoraSettings | None = None,
    activation_checkpointing: bool = False,
    offload_activations: bool = False,
    rank: int = 0,
    world_size: int = 1,
) -> Policy:
    """The policy from a Hugging Face checkpoint directory (see the module docstring).

    As torchtune's own distributed recipes do: the model is built on the meta device, each
    transformer layer (and the whole model) sharded with FSDP2 when ``world_size > 1``
    (``torch.distributed`` initialised), RoPE buffers and fresh LoRA adapters initialised on
    ``device``, then the checkpoint's full weights loaded into the (sharded) parameters."""
    from torchtune import training
    from torchtune.modules import TransformerSelfAttentionLayer

    if offload_activations and device.type != "cuda":
        raise BackendError("activation offloading needs a CUDA device")
    model_dir = Path(model_dir)
    config = read_hf_config(model_dir)
    if max_seq_len > int(config.get("max_position_embeddings", max_seq_len)):
        raise BackendError(
            f"row length {max_seq_len} is longer than the model's context ({config['max_position_embeddings']})"
        )
    # The checkpointer is loaded once and kept: its weight map and config are what every save
    # partitions and converts by. Saves copy the source's other files (config, tokenizer) from a
    # private copy, so a checkpoint the run started from may be deleted meanwhile (a resumed
    # run's), and nothing re-reads the weights (28 GB for 14B) at each save.
    files = _weight_files(model_dir)
    metadata = tempfile.TemporaryDirectory(prefix="clue-policy-")
    for path in model_dir.iterdir():
        if path.is_file() and path.name not in files and not path.name.endswith(".safetensors.index.json"):
            shutil.copy2(path, Path(metadata.name) / path.name)
    with _quiet_torchtune():
        checkpointer = training.FullModelHFCheckpointer(
            checkpoint_dir=str(model_dir),
            checkpoint_files=files,
            model_type="QWEN2",
            output_dir=metadata.name,
        )
        state = checkpointer.load_checkpoint()[training.MODEL_KEY]
    with training.set_default_dtype(dtype), torch.device("meta"):
        model = build_model(config, max_seq_len, lora)
    if lora is not None:
        only_adapters_trainable(model)
    if activation_checkpointing:
        training.set_activation_checkpointing(model, auto_wrap_policy={TransformerSelfAttentionLayer})
    if world_size > 1:
        training.shard_model(
            model, [lambda name, module: isinstance(module, TransformerSelfAttentionLayer)], cpu_offload=False
        )
    else:
        model.to_empty(device=device)
    with training.set_default_dtype(dtype), device:
        for module in model.modules():
            if lora is not None and hasattr(module, "lora_a") and hasattr(module, "initialize_parameters"):
                module.to_empty(device=device)
                module.initialize_parameters()  # A random, B zero: the adapted model starts as the base
            if hasattr(module, "rope_init"):
                module.rope_init()
    if world_size > 1:
        missing, unexpected = training.load_from_full_model_state_dict(model, state, device, strict=False)
    else:
        missing, unexpected = model.load_state_dict(state, strict=False)
    bad_missing = [k for k in missing if lora is None or "lora" not in k]
    if bad_missing or unexpected:
        raise BackendError(
            f"{model_dir}: the weights do not fit the model (missing {bad_missing[:3]}, unexpected {unexpected[:3]})"
        )
    training.validate_no_params_on_meta_device(model)
    policy = Policy(model, model_dir, config, lora, device, dtype, rank, world_size, offload_activations)
    policy._checkpointer, policy._metadata = checkpointer, metadata
    return policy


def random_policy(
    config: dict[str, Any],
    *,
    max_seq_len: int,
    device: torch.device,
    dtype: torch.dtype,
    lora: LoraSettings | None = None,
    activation_checkpointing: bool = True,
    seed: int = 0,
) -> Policy:
    """A policy shaped like the HF ``config`` with random weights (:func:`init_random_weights`), set up
    as :func:`load_policy` does (one process): for benchmarks of a model size whose weights are not here."""
    from torchtune import training
    from torchtune.modules import TransformerSelfAttentionLayer

    torch.manual_seed(seed)
    with training.set_default_dtype(dtype), device:
        model = build_model(config, max_seq_len, lora)
    init_random_weights(model, float(config.get("initializer_range", 0.02)))
    if lora is not None:
        only_adapters_trainable(model)
    if activation_checkpointing:
        training.set_activation_checkpointing(model, auto_wrap_policy={TransformerSelfAttentionLayer})
    return Policy(model, Path("random-weights"), config, lora, device, dtype, 0, 1, False)
