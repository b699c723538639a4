struct Spike;
shapegrad::model! {
    struct M {
        dims { B: batch }
        params { w: [3, 4] = glorot }
        extern fn spike(v: [B, 4]) -> [B, 4] = Spike;
        fn forward(x: [B, 3]) -> [B, 3] { spike(x) }
    }
}
fn main() {}
