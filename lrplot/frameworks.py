"""The frameworks lrplot reproduces: one record each, the namespace its schedules live in.

A framework's schedules are registered by importing its module (``package``), which happens only
when a command, spec or YAML type names the framework: ``lrplot hf cosine`` never imports timm's
schedules. Everything else about a schedule is on its own registry entry.
"""

from __future__ import annotations

from .records import REQUIRED, Record


class Framework(Record):
    """A library whose schedules lrplot reproduces.

    - ``name``: the command word and YAML prefix (``lrplot hf cosine``, ``type: hf.cosine``).
    - ``aliases``: other command words for the same namespace (``transformers``).
    - ``library``: the package users install and import; ``version``: the release the tests pin.
    - ``title``: how people call it, for help and docs.
    - ``package``: the lrplot module whose import registers the framework's schedules.
    - ``index``: row t of a curve in the library's own terms (the README's index convention).
    - ``precision``: what lrplot's numbers are, against what the library computes by default.
    - ``warmup``: whether lrplot's own torch-style ``--warmup-steps`` (a SequentialLR in front)
      applies; other frameworks carry their warm-up as the library's own parameters.
    - ``factory``: the library function that builds any of its schedules by name (transformers'
      ``get_scheduler``), its ``factory_signature`` (the name argument first) and the arguments
      that hold a dict of the schedule's own keyword arguments (``factory_kwargs``): for
      ``lrplot code``. ``module_aliases``: other first words of its module paths (``tf.keras``).
    - ``config_keys``: keys of the training config users write for the library (TrainingArguments,
      a DeepSpeed JSON, timm's args.yaml), by which ``lrplot run`` recognises one; the module
      then reads it with its ``read_config(document, overrides)``.
    """

    FIELDS = (
        ("name", REQUIRED),
        ("library", REQUIRED),
        ("version", REQUIRED),
        ("title", REQUIRED),
        ("package", REQUIRED),
        ("index", REQUIRED),
        ("precision", REQUIRED),
        ("aliases", ()),
        ("warmup", False),
        ("factory", ""),
        ("factory_signature", ()),
        ("factory_kwargs", ()),
        ("module_aliases", ()),
        ("config_keys", ()),
    )

    name: str
    library: str
    version: str
    title: str
    package: str
    index: str
    precision: str
    aliases: tuple[str, ...]
    warmup: bool
    factory: str
    factory_signature: tuple[str, ...]
    factory_kwargs: tuple[str, ...]
    module_aliases: tuple[str, ...]
    config_keys: tuple[str, ...]

    def words(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


TORCH = Framework(
    name="torch",
    library="torch",
    version="2.13.0",
    title="PyTorch",
    package="lrplot.schedules.pytorch",
    index="row t is scheduler.get_last_lr()[0] after t calls of scheduler.step()",
    precision="float64, as torch computes a float lr",
    warmup=True,
)

FRAMEWORKS: dict[str, Framework] = {f.name: f for f in (
    TORCH,
    Framework(
        name="hf",
        aliases=("transformers",),
        library="transformers",
        version="5.24.0",
        title="Hugging Face transformers",
        package="lrplot.schedules.hf",
        index="row t is scheduler.get_last_lr()[0] after t calls of scheduler.step(): the rate "
        "Trainer uses for optimizer update t",
        precision="float64, as transformers' LambdaLR computes a float lr",
        factory="get_scheduler",
        factory_signature=("name", "optimizer", "num_warmup_steps", "num_training_steps",
                           "scheduler_specific_kwargs"),
        factory_kwargs=("scheduler_specific_kwargs",),
        config_keys=("lr_scheduler_type", "learning_rate", "num_train_epochs", "warmup_ratio",
                     "gradient_accumulation_steps", "per_device_train_batch_size", "output_dir",
                     "lr_scheduler_kwargs", "max_steps"),
    ),
    Framework(
        name="timm",
        library="timm",
        version="1.0.31",
        title="timm (PyTorch Image Models)",
        package="lrplot.schedules.timm",
        index="row t is the rate after scheduler.step(t) (or step_update(t)); row 0 the rate at "
        "construction",
        precision="float64, as timm computes a float lr",
        config_keys=("sched", "epochs", "warmup_epochs", "warmup_lr", "min_lr", "cooldown_epochs",
                     "decay_epochs", "sched_on_updates", "model", "opt"),
    ),
    Framework(
        name="optax",
        library="optax",
        version="0.2.8",
        title="optax (JAX)",
        package="lrplot.schedules.optax",
        index="row t is schedule(t)",
        precision="float64; optax computes in float32 unless jax_enable_x64 is set",
    ),
    Framework(
        name="keras",
        library="keras",
        version="3.15.1",
        title="Keras",
        package="lrplot.schedules.keras",
        index="row t is schedule(t), t the optimizer's iteration count",
        precision="float64; Keras computes in float32 unless floatx is float64",
        module_aliases=("tf",),
    ),
    Framework(
        name="deepspeed",
        library="deepspeed",
        version="0.19.8",
        title="DeepSpeed",
        package="lrplot.schedules.deepspeed",
        index="row t is the rate the optimizer holds for update t, the scheduler stepped after "
        "every update as DeepSpeed's engine does",
        precision="float64, as DeepSpeed computes a float lr",
        config_keys=("scheduler", "train_batch_size", "train_micro_batch_size_per_gpu",
                     "zero_optimization", "gradient_accumulation_steps", "optimizer"),
    ),
    Framework(
        name="fastai",
        library="fastai",
        version="2.8.12",
        title="fastai",
        package="lrplot.schedules.fastai",
        index="row t is the rate of batch t, at fastai's training position",
        precision="float64 rates at float32 training positions, as fastai computes them (both "
        "reproduced)",
    ),
)}

# Command word (a name or an alias) -> framework name.
WORDS: dict[str, str] = {word: f.name for f in FRAMEWORKS.values() for word in f.words()}
