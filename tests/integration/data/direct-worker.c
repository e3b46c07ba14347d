int work(int a, int b, int c);

int work(int a, int b, int c)
{
	return a + b + c;
}
