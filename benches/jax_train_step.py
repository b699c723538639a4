"""Reference: the same three training steps as `cargo bench --bench train_step`, in JAX (jit, CPU).

Run by hand (not in CI):  pip install jax  &&  python benches/jax_train_step.py
Prints lines in the same format: `train_step <name> jax_us=<median>`.
"""
import time

import jax
import jax.numpy as jnp

jax.config.update("jax_platform_name", "cpu")


def init(key, sizes):
    params = []
    for i, o in zip(sizes[:-1], sizes[1:]):
        key, k = jax.random.split(key)
        a = (6.0 / (i + o)) ** 0.5
        params.append((jax.random.uniform(k, (i, o), minval=-a, maxval=a), jnp.zeros((o,))))
    return params


def loss(params, x, y):
    h = x
    for w, b in params[:-1]:
        h = jnp.tanh(h @ w + b)
    w, b = params[-1]
    return jnp.mean((h @ w + b - y) ** 2)


@jax.jit
def step(params, x, y):
    g = jax.grad(loss)(params, x, y)
    return jax.tree_util.tree_map(lambda p, g: p - 0.01 * g, params, g)


def bench(name, sizes, batch, warm, reps):
    key = jax.random.PRNGKey(0)
    params = init(key, sizes)
    x = jax.random.uniform(key, (batch, sizes[0])) - 0.5
    y = jax.random.uniform(key, (batch, sizes[-1])) - 0.5
    for _ in range(warm):
        params = step(params, x, y)
    jax.block_until_ready(params)
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        params = step(params, x, y)
        jax.block_until_ready(params)
        ts.append((time.perf_counter() - t) * 1e6)
    ts.sort()
    print(f"train_step {name} jax_us={ts[len(ts) // 2]:.1f}")


bench("small_2x32x1_b32", [2, 32, 1], 32, 200, 2000)
bench("mlp_784x256x128x10_b64", [784, 256, 128, 10], 64, 20, 200)
bench("wide_1024x1024x1024_b256", [1024, 1024, 1024], 256, 3, 20)
