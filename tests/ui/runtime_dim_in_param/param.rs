shapegrad::model! {
    struct M {
        dims { B: batch }
        params { w: [B, 4] = glorot }
        fn forward(x: [B, 4]) -> [B, 4] { x * w }
    }
}
fn main() {}
