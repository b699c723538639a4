shapegrad::model! {
    struct Encoder {
        dims { B: batch }
        params { w: [4, 2] = glorot }
        fn forward(x: [B, 4]) -> [B, 2] { tanh(x @ w) }
    }
    struct Vae {
        dims { B: batch }
        params { enc: Encoder }
        fn loss(x: [B, 4]) -> [] { sum(enc.encode(x)) }
    }
}
fn main() {}
