"""The optimizer language: ``NAME[:KEY=VALUE,...]`` reads as a link would, and refuses what a link drops."""
import pytest

from optviz.limits import MAX_LABEL, SEEDS
from optviz.optimizer_spec import Setting, SpecError, contestant, parse, split
from optviz.race import OptimizerConfig
from optviz.share import SHORT, AppState, decode


@pytest.mark.parametrize("spec, expected", [
    ("adam", OptimizerConfig("adam")),
    ("sgd:lr=0.003,sch=step:100:0.5,c=textbook,noise=0.1,seed=3",
     OptimizerConfig("sgd", hyperparams=(("lr", 0.003),), convention="textbook", schedule="step:100:0.5", noise=0.1,
                     seed=3)),
    # any case in the name; spaces around items; hyperparameters in registry order whatever the order given
    ("Adam: b1=0.8, lr=0.01, bc=0, lb=Adam lr 0.01",
     OptimizerConfig("adam", "Adam lr 0.01", (("lr", 0.01), ("beta1", 0.8)), bias_correction=False)),
    # the long names, and a schedule written as a link writes it
    ("adamw:weight_decay=0.1,beta2=0.99,schedule=exp~0.99_warmup~10,label=W",
     OptimizerConfig("adamw", "W", (("beta2", 0.99), ("weight_decay", 0.1)), schedule="exp:0.99+warmup:10")),
    ("newton:damp=0.1,convention=Keras",
     OptimizerConfig("newton", hyperparams=(("damping", 0.1),), convention="keras")),
])
def test_a_spec_names_a_contestant(spec, expected):
    assert parse(spec) == expected


@pytest.mark.parametrize("spec", ["adam:lr=0.01,b1=0.8,bc=0,lb=Mine", "sgd:lr=0.1,sch=step:5:0.5,noise=0.2,seed=4",
                                  "momentum:b=0.5,c=textbook,wd=0.01", "newton:damp=3"])
def test_a_spec_and_a_link_with_the_same_keys_agree(spec):
    """A spec says what the link ``o=NAME&o1.KEY=VALUE…`` says (the link spells out every default)."""
    name, _, items = spec.partition(":")
    query = {"o": name} | {f"o1.{key}": value for key, value in (item.split("=") for item in items.split(","))}
    state, notices = decode(query, AppState())
    assert notices == []
    linked = state.config.optimizers[0]
    parsed = parse(spec)
    assert parsed.build().hyperparams == linked.build().hyperparams
    assert (parsed.schedule, parsed.noise, parsed.seed) == (linked.schedule, linked.noise, linked.seed)


@pytest.mark.parametrize("spec, message", [
    ("rocket", "unknown optimizer 'rocket'; choose from: sgd, "),
    ("", "unknown optimizer ''"),
    ("sgd~adam", "unknown optimizer 'sgd~adam'"),
    ("adam:lr", "'lr' is not KEY=VALUE (in 'adam:lr')"),
    ("adam:=1", "'=1' is not KEY=VALUE"),
    ("adam:zz=1", "unknown key 'zz'; the keys are lr, "),
    ("adam:LR=1", "unknown key 'LR'"),  # keys are lower case, as in a link
])
def test_split_names_what_is_not_a_spec(spec, message):
    with pytest.raises(SpecError) as caught:
        split(spec)
    assert str(caught.value).startswith(message)


def test_the_keys_are_a_links():
    with pytest.raises(SpecError) as caught:
        split("adam:zz=1")
    listed = str(caught.value).split("the keys are ")[1].split(", ")
    assert sorted(listed) == sorted([*SHORT.values(), "c", "bc", "sch", "noise", "seed", "lb"])
    assert {"lr", "b", "b1", "b2", "eps", "wd", "damp"} <= set(listed)


@pytest.mark.parametrize("spec, message", [
    ("adam:lr=-1", "lr must be in (0, 100] (got -1)"),
    ("adam:lr=fast", "lr must be in (0, 100] (got fast)"),
    ("adam:beta1=1", "beta1 must be in [0, 1) (got 1)"),
    ("sgd:b1=0.9", "b1 does not apply to sgd; it takes: lr, wd"),
    ("newton:weight_decay=0.1", "weight_decay does not apply to newton; it takes: lr, damp"),
    ("adam:lr=1,lr=2", "lr is given twice; drop one of them"),
    ("adam:b1=0.8,beta1=0.9", "b1 and beta1 both set beta1; drop one of them"),
    ("adam:c=jax", "c must be one of pytorch, keras, textbook (got jax)"),
    ("sgd:bc=0", "bc applies only to adam, adamw (got sgd)"),
    ("adam:bc=2", "bc must be 1 or 0 (got 2)"),
    ("adam:sch=linear", "sch: unknown schedule 'linear'"),
    ("adam:sch=step~0~0.5", "sch: step decay interval must be a whole number ≥ 1"),
    ("adam:noise=-1", "noise must be in [0, 100] (got -1)"),
    ("adam:seed=-1", f"seed must be a whole number in [0, {SEEDS[1]}] (got -1)"),
    (f"adam:seed={SEEDS[1] + 1}", "seed must be a whole number"),
    ("adam:seed=1.5", "seed must be a whole number"),
    ("adam:lb=<b>x</b>", "lb: a label may hold letters, digits, spaces"),
    ("adam:lb=" + "x" * (MAX_LABEL + 1), f"lb: a label has at most {MAX_LABEL} characters"),
])
def test_a_bad_value_is_refused_by_its_key(spec, message):
    with pytest.raises(SpecError) as caught:
        parse(spec)
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)


def test_settings_from_elsewhere_are_named_their_own_way():
    """The command line's flags are settings too; messages name them as flags, their hyperparameters too."""
    def flag(name):
        return "--" + name.replace("_", "-")

    with pytest.raises(SpecError, match=r"^--beta does not apply to adam; it takes: --lr, --beta1, --beta2, --eps, "
                                        r"--weight-decay$"):
        contestant("adam", [Setting("beta", "0.9", "--beta", flag)])
    with pytest.raises(SpecError, match=r"^--lr and --optimizer lr both set lr"):
        contestant("adam", [Setting("lr", "0.1", "--lr", flag), *split("adam:lr=0.2", prefix="--optimizer ")[1]])
    assert contestant("adam", [Setting("bias_correction", "0", "--no-bias-correction", flag)]).bias_correction is False


def test_the_values_are_the_last_word_before_the_comma():
    # a value may hold spaces and every character but a comma; the text around it is trimmed
    assert parse("sgd: lb = My GD (slow) , lr = 0.5 ").label == "My GD (slow)"
    assert parse("sgd:sch=cosine:300:0.1+warmup:5").schedule == "cosine:300:0.1+warmup:5"
