shapegrad::model! {
    struct Rnn {
        dims { B: batch, T: batch }
        params { wx: [3, 4] = glorot, wh: [4, 4] = glorot }
        fn cell(h: [B, 4], x: [B, 3]) -> [B, 4] { tanh(x @ wx + h @ wh) }
        fn run(xs: [B, T, 3], h0: [B, 5]) -> [B, 4] { scan(cell, xs, h0, axis = 1) }
    }
}
fn main() {}
