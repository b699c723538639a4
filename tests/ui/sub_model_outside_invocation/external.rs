shapegrad::model! {
    struct Vae {
        dims { B: batch }
        params { enc: Encoder }
        fn loss(x: [B, 4]) -> [] { sum(enc.forward(x)) }
    }
}
fn main() {}
